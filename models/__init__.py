"""Architectures and the custom layers they use, Keras 3 (TensorFlow or JAX backend).

Layers: `RegularizedLogits` (the logits layer w with P2's information regularizer,
eq. 5-7), `ResidualUnit`, `BottleneckUnit` and their base `PreActivationUnit` (the
original TensorFlow CIFAR ResNet), `WenxinxuResidualUnit`, `BatchStatisticsNormalization`
(the ResNet-32 P1 measured). Builders: `build_resnet`, `build_network` (any model of
`infodl.choices.MODELS` by name), `build_resnet_wenxinxu`, `build_mlp`, `build_invnet`
(P2 §4.2), `build_ib_network` (P3's networks), `conv_stack`; `ARCHITECTURES` and
`Architecture` (depths and widths of the ResNet family).

Every name is imported on first access, so `import infodl.models` loads no backend.

Example:
    >>> from infodl.models import build_mlp
    >>> model = build_mlp(12, layer_sizes=(10, 7, 5, 4, 3, 2))  # IDNNs' 12-10-7-5-4-3-2 net
    >>> [layer.name for layer in model.layers]
    ['hidden_1', 'hidden_2', 'hidden_3', 'hidden_4', 'hidden_5', 'output']
"""

import infodl
from infodl.lazy_exports import lazy_exports

infodl.one_name(__name__)

# Public name -> module that defines it (these modules import Keras and its backend).
_LAZY = {
    "RegularizedLogits": ".regularized_logits",
    "PreActivationUnit": ".pre_activation_unit",
    "ResidualUnit": ".residual_unit",
    "BottleneckUnit": ".bottleneck_unit",
    "WenxinxuResidualUnit": ".resnet_wenxinxu",
    "BatchStatisticsNormalization": ".resnet_wenxinxu",
    "build_resnet": ".resnet",
    "build_network": ".resnet",
    "build_resnet_wenxinxu": ".resnet_wenxinxu",
    "build_mlp": ".mlp",
    "build_invnet": ".invnet",
    "build_ib_network": ".ib_nets",
    "conv_stack": ".convnet",
    "ARCHITECTURES": ".architectures",
    "Architecture": ".architectures",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
