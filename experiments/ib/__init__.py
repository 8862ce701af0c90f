"""P3's IB training, layer by layer and end to end: configs, runs, the knob table and plots.

`IBLayerwiseConfig` (`run.py --experiment=ib_layerwise`, run by
`infodl.experiments.ib.layerwise.run`) and `IBEndToEndConfig`
(`--experiment=ib_end_to_end`, `infodl.experiments.ib.end_to_end.run`) are free of
TensorFlow.
"""

from infodl.lazy_exports import lazy_exports

_LAZY = {"IBLayerwiseConfig": ".layerwise_config", "IBEndToEndConfig": ".end_to_end_config"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
