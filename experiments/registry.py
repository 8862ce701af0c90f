"""The experiments `run.py` can run: name -> config dataclass and the module running it.

Adding an experiment means adding its folder with its config dataclass (fields made with
`infodl.experiments.cli.config.setting`, its own `early_checks()`) and its module, and one
entry here; the command line (`infodl.experiments.cli`) builds its flags and runs it. The
config modules are free of TensorFlow, so flags are validated before it loads.
"""

from infodl.experiments.analyze.config import AnalyzeConfig
from infodl.experiments.cli.experiment import Experiment
from infodl.experiments.ib.end_to_end_config import IBEndToEndConfig
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
from infodl.experiments.info_plane.config import InfoPlaneConfig
from infodl.experiments.invnet.config import InvNetConfig
from infodl.experiments.resnet.config import ResNetConfig
from infodl.experiments.sweeps.config import ReportConfig, SweepSettings

EXPERIMENTS = {experiment.name: experiment for experiment in (
    Experiment("resnet", ResNetConfig, "infodl.experiments.resnet.experiment",
               "ResNet / PlainNet / WRN on CIFAR with the information regularizer (P2)"),
    Experiment("info_plane", InfoPlaneConfig, "infodl.experiments.info_plane.experiment",
               "the 12-10-7-5-4-3-2 net on the 12-bit task, information plane (P1)"),
    Experiment("ib_layerwise", IBLayerwiseConfig, "infodl.experiments.ib.layerwise",
               "layer-by-layer IB training and its cross-entropy baselines (P3 §5)"),
    Experiment("ib_end_to_end", IBEndToEndConfig, "infodl.experiments.ib.end_to_end",
               "end-to-end training with CE - beta I(Y;Y_hat) + gamma I(X;Y_hat+eps) (P3 app. B)"),
    Experiment("invnet", InvNetConfig, "infodl.experiments.invnet.experiment",
               "InvNet / RegInvNet on MNIST: autoencoder + classifier, alternating (P2 §4.2)"),
    Experiment("analyze", AnalyzeConfig, "infodl.experiments.analyze.experiment",
               "feature analysis of a saved model: P2 Fig. 2/3/8, t-SNE + separation (P3), "
               "PCA + SVM/1-NN (P1)"),
    Experiment("report", ReportConfig, "infodl.experiments.sweeps.report",
               "the table of a sweep folder (mean ± std over seeds) and TensorBoard HParams"),
)}

# Flags of no experiment: `--sweep=<file>` runs a sweep of any experiment.
GLOBAL_SETTINGS = (SweepSettings,)
