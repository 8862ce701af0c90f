"""The experiments of `run.py`: one folder each, with its config, its run and its tables.

`resnet/`, `info_plane/`, `ib/` (layer-wise and end-to-end), `invnet/`, `analyze/` and
`sweeps/` (the grid runner and its report); `cli/` is the command line, which names no
experiment, and `registry.py` lists them.

Configs (free of TensorFlow; their fields are the flags): `ResNetConfig`,
`InfoPlaneConfig`, `IBLayerwiseConfig`, `IBEndToEndConfig`, `InvNetConfig`,
`AnalyzeConfig`; `EXPERIMENTS` maps each `--experiment` name to its config and module
(`EXPERIMENTS[name].load().run(config)` runs it); `ExperimentConfig` and `setting`
make a new config. Every name is imported on first access.

Example:
    >>> from infodl.experiments import IBEndToEndConfig
    >>> config = IBEndToEndConfig(dataset="mnist").validate()
    >>> config.network, config.train_steps, config.log_dir
    ('mlp_600_400', 5000, 'runs/ib_end_to_end_mnist')
"""

import infodl
from infodl.lazy_exports import lazy_exports

infodl.one_name(__name__)

# Public name -> module that defines it.
_LAZY = {
    "ResNetConfig": ".resnet.config",
    "InfoPlaneConfig": ".info_plane.config",
    "IBLayerwiseConfig": ".ib.layerwise_config",
    "IBEndToEndConfig": ".ib.end_to_end_config",
    "InvNetConfig": ".invnet.config",
    "AnalyzeConfig": ".analyze.config",
    "EXPERIMENTS": ".registry",
    "ExperimentConfig": ".cli.config",
    "setting": ".cli.config",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
