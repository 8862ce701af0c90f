"""The depths and widths of the CIFAR ResNet family (free of TensorFlow).

The table is read by `infodl.models.resnet.build_resnet`; its names are
`infodl.choices.RESNET_ARCHITECTURES`, which the configs validate `--model` against
before TensorFlow loads (the core lists the names, this package adds what they mean).
"""

import dataclasses

from infodl.choices import RESNET_ARCHITECTURES


@dataclasses.dataclass(frozen=True)
class Architecture:
    """Depth and widths of one network of the family."""
    units_per_stage: int
    widths: tuple          # (stem, stage1, stage2, stage3)
    bottleneck: bool = False
    use_shortcut: bool = True
    dropout_rate: float = 0.0


ARCHITECTURES = {
    "resnet20": Architecture(3, (16, 16, 32, 64)),
    "resnet32": Architecture(5, (16, 16, 32, 64)),
    "resnet56": Architecture(9, (16, 16, 32, 64)),
    "resnet110": Architecture(18, (16, 16, 32, 64)),
    "resnet164": Architecture(18, (16, 64, 128, 256), bottleneck=True),
    "plainnet32": Architecture(5, (16, 16, 32, 64), use_shortcut=False),
    "wrn28_10": Architecture(4, (16, 160, 320, 640)),  # no dropout in the TF code path
}
if tuple(ARCHITECTURES) != RESNET_ARCHITECTURES:
    raise ImportError(f"Expected the architectures {RESNET_ARCHITECTURES} of infodl.choices. "
                      f"Received: {tuple(ARCHITECTURES)}")
