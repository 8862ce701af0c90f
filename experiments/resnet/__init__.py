"""ResNet / PlainNet / WRN on CIFAR with the information regularizer (P2).

Its config, its run and its measurement callbacks.

`ResNetConfig` (free of TensorFlow) holds the settings of `run.py --experiment=resnet`;
`infodl.experiments.resnet.experiment.run(config)` runs it.
"""

from infodl.lazy_exports import lazy_exports

_LAZY = {"ResNetConfig": ".config"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
