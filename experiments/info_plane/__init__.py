"""The information plane of the 12-10-7-5-4-3-2 network on the 12-bit task (P1).

Its config, its run and the compression table (Shwartz-Ziv & Tishby 2017).

`InfoPlaneConfig` (free of TensorFlow) holds the settings of `run.py --experiment=info_plane`;
`infodl.experiments.info_plane.experiment.run(config)` runs it.
"""

from infodl.lazy_exports import lazy_exports

_LAZY = {"InfoPlaneConfig": ".config"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
