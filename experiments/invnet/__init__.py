"""InvNet / RegInvNet on MNIST (P2 §4.2): its config, its run and its table.

`InvNetConfig` (free of TensorFlow) holds the settings of `run.py --experiment=invnet`;
`infodl.experiments.invnet.experiment.run(config)` runs it.
"""

from infodl.lazy_exports import lazy_exports

_LAZY = {"InvNetConfig": ".config"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
