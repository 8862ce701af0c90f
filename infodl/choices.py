"""Every list of allowed values, in one TensorFlow-free module.

The configs validate flags against these lists before TensorFlow loads, and the
builders (models, estimators, data loaders) check their arguments against the same
lists, so a value that passes validation also builds. `tests/test_choices.py` builds
every listed value.
"""

# Models and training (P2 §4, eq. 5-7).
# The CIFAR ResNet family; `models.architectures.ARCHITECTURES` gives each its depth and widths.
RESNET_ARCHITECTURES = ("resnet20", "resnet32", "resnet56", "resnet110", "resnet164",
                        "plainnet32", "wrn28_10")
# "resnet32_wenxinxu": wenxinxu/resnet-in-tensorflow's ResNet-32, P1 §3.3 (models.resnet_wenxinxu).
MODELS = RESNET_ARCHITECTURES + ("resnet32_wenxinxu",)
REGULARIZERS = ("info", "naive", "none")
L1_METHODS = ("proximal", "subgradient")
# The proximal ℓ1 step's threshold τ = lr·α1·l1_every ("interval") or lr·α1 ("step").
L1_THRESHOLD_SCALES = ("interval", "step")
MODES = ("train", "eval", "train_and_eval")
RECIPES = ("original", "zagoruyko")
EVAL_PROTOCOLS = ("full", "original")
DISTRIBUTION_STRATEGIES = ("none", "mirrored", "multi_worker")
DTYPE_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
# Who starts the runs of a sweep: this machine, or a Ray cluster (experiments.sweeps.ray_launcher).
SWEEP_LAUNCHERS = ("local", "ray")
# InvNet (P2 §4.2) and the feature analysis (P2 §4.2, P1 §3.5).
RECONSTRUCTION_LOSSES = ("squared_error", "binary_crossentropy")  # summed over pixels
# Over the pixels of an image: their sum (P2 leaves it open; the default) or their mean.
RECONSTRUCTION_REDUCTIONS = ("sum", "mean")
PREPROCESSINGS = ("auto", "unit_interval", "per_image_standardization", "none")

# Data (TensorFlow Datasets names): name -> number of classes.
DATASET_NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "mnist": 10, "digits": 10,
                       "synthetic": 10}
DATASETS = tuple(DATASET_NUM_CLASSES)

# Fully connected nets (information plane, IB training): hidden-layer activations.
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "elu", "selu", "gelu", "leaky_relu",
               "softplus", "softsign", "hard_tanh")
OUTPUT_ACTIVATIONS = ACTIVATIONS + ("softmax",)
OPTIMIZERS = ("adam", "langevin")

# Estimators (P2 Prop. 2.1-2.2; P3 §4, appendix C).
INFO_PLANE_ESTIMATORS = ("binning", "binning_adaptive", "binning_width", "kde", "mine")
KDE_BOUNDS = ("upper", "lower")
MINE_BOUNDS = ("dv", "nwj", "infonce")
# The input maps of a critic (`estimators.InputStandardizer`); "gaussianize" for
# non-Gaussian marginals, "auto" (MINE's default) gaussianizes only the features a
# normality check rejects, "scale" one scale per feature, "global" one for all of them.
MINE_STANDARDIZATIONS = ("auto", "whiten", "scale", "global", "gaussianize", "none")
# The input map of the IB training critics (`IBCritics.adapt`): the same names, and
# "unit", the IB's older name of "scale".
IB_CRITIC_STANDARDIZATIONS = MINE_STANDARDIZATIONS + ("unit",)
MARGINALS = ("empirical", "uniform")
UNITS = ("bits", "nats")

# IB training (P3 §5, appendix B): the networks and the layer-wise training methods.
IB_NETWORKS = ("mlp_512_512", "mlp_600_400", "convnet_16", "convnet_48_96_192")
IB_METHODS = ("ib", "cross_entropy", "logistic_regression")
