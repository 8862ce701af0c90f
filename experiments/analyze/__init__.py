"""Feature analysis of a saved model (P2 Fig. 2/3/8, P3 Fig. 5, P1 Fig. 7).

Its config and its run.

`AnalyzeConfig` (free of TensorFlow) holds the settings of `run.py --experiment=analyze`;
`infodl.experiments.analyze.experiment.run(config)` runs it.
"""

from infodl.lazy_exports import lazy_exports

_LAZY = {"AnalyzeConfig": ".config"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
