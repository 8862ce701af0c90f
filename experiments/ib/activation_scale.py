"""The RMS of each IB layer's output per seed, beside its I(X; L + ε) (docs/ib_training.md).

    python -m infodl.experiments.ib.activation_scale \\
        --log_dir=runs/ib_knobs/lw_beta1e-3,runs/ib_knobs/lw_beta1 --data_dir=/path/to/mnist.pkl.gz

prints, per run folder, each layer's RMS on the MNIST test images for every
`seed_*/model.keras`, and their mean ± std over the seeds
(`infodl.analysis.activation_scale`; `infodl.analysis.seed_statistics`).

Reference: P3 (Elad et al. 2019), eq. 7 and section 4 (σ² = 2).
"""

import dataclasses
import sys

from infodl.analysis.activation_scale import DEFAULT_LAYERS, run_folder_rms
from infodl.analysis.seed_statistics import mean_std_text
from infodl.experiments.cli.config import ExperimentConfig, setting
from infodl.experiments.cli.early_checks import check_folders_exist
from infodl.experiments.cli.table_command import run_command


@dataclasses.dataclass
class ActivationScaleSettings(ExperimentConfig):
    """The flags of `python -m infodl.experiments.ib.activation_scale`."""
    log_dir: tuple | None = setting(None, "Run folders holding seed_*/model.keras "
                                    "(comma-separated).", required="the IB run folders")
    data_dir: str | None = setting(None, "The MNIST pickle (mnist.pkl.gz), whose test images "
                                   "are the inputs.", required="the MNIST pickle")
    layers: tuple = setting(DEFAULT_LAYERS, "Layers to measure (comma-separated).",
                            min_length=1)

    def early_checks(self):
        check_folders_exist(self.log_dir)


def _print_scales(settings):
    """One line per run folder: each layer's RMS, mean ± std over seeds and per seed."""
    from infodl.data.mnist_pickle import read_mnist_pickle

    try:
        images = read_mnist_pickle(settings.data_dir)[2][0]
    except (OSError, KeyError) as error:
        raise ValueError(f"Expected the MNIST pickle at data_dir. Received: "
                         f"data_dir={settings.data_dir!r} ({error})") from None
    for folder in settings.log_dir:
        per_seed = run_folder_rms(folder, images, settings.layers)
        cells = []
        for name in settings.layers:
            values = [seed[name] for seed in per_seed.values()]
            cells.append(f"{name} {mean_std_text(values, '.3f')} "
                         f"({', '.join(f'{v:.3f}' for v in values)})")
        print(f"{folder}: RMS on {len(images)} test images: " + "; ".join(cells))


def main(argv=None):
    """The command line; returns the exit code."""
    return run_command(ActivationScaleSettings, _print_scales, argv)


if __name__ == "__main__":
    sys.exit(main())
