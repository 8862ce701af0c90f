"""Entry point: absl flags -> one config object -> an experiment's run().

    python run.py --model=resnet32 --alpha2=0.03                      # P2 on CIFAR-10
    python run.py --model=resnet32 --alpha2=0.03 --dataset=synthetic --train_steps=50
    python run.py --experiment=info_plane --activation=tanh           # P1 / Shwartz-Ziv & Tishby

Errors a user can cause end in one line on stderr and exit code 1.
"""

import dataclasses
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from experiments.info_plane_config import InfoPlaneConfig  # noqa: E402  (no TensorFlow)

EXPERIMENTS = ("resnet", "info_plane")
FLAGS = flags.FLAGS

flags.DEFINE_enum("experiment", "resnet", EXPERIMENTS, "Which experiment to run.")
flags.DEFINE_integer("seed", 0, "Random seed.")
# absl.logging already defines --log_dir (unused by it unless asked): we reuse that flag.
FLAGS["log_dir"].help = ("Folder for checkpoints, TensorBoard events and results "
                         "(default: runs/<model or experiment>).")
flags.DEFINE_bool("overwrite", False, "Delete an existing log_dir that holds another run.")
flags.DEFINE_integer("verbose", 1, "Keras verbosity: 0 silent, 1 progress bar, 2 one line per epoch.")

# --- ResNet experiment (P2, SPEC §1-2) ---
flags.DEFINE_string("model", "resnet32", "resnet20|resnet32|resnet56|resnet110|resnet164|"
                    "plainnet32|wrn28_10.")
flags.DEFINE_string("dataset", "cifar10", "cifar10|cifar100|mnist|digits|synthetic.")
flags.DEFINE_string("data_dir", None, "Folder with the original CIFAR (binary or python "
                    "pickle) / MNIST files, or a prepared TensorFlow Datasets folder.")
flags.DEFINE_float("train_fraction", None, "Fraction of the training set to use (stratified; "
                   "default 1.0 for resnet, 0.8 of the 4096 inputs for info_plane).")
flags.DEFINE_string("regularizer", "info", "info|naive|none (P2 eq. 7, Table 1).")
flags.DEFINE_float("alpha1", 0.0, "Coefficient of ||w||_1.")
flags.DEFINE_float("alpha2", 0.0, "Coefficient of mean ||w_y||·||F(x)|| (naive: ||w||_F).")
flags.DEFINE_string("l1_method", "proximal", "proximal (soft-threshold every l1_every "
                    "steps, P2 appendix E) | subgradient.")
flags.DEFINE_integer("l1_every", 30, "Interval of the proximal l1 step.")
flags.DEFINE_integer("batch_size", None, "Batch size (default 128 for resnet, 512 for info_plane).")
flags.DEFINE_integer("train_steps", None, "Global steps to train (default 80k; WRN 200 epochs).")
flags.DEFINE_list("lr_boundaries", None, "Steps where the lr drops (default 40000,60000).")
flags.DEFINE_list("lr_values", None, "Learning rates (default 0.1,0.01,0.001).")
flags.DEFINE_float("weight_decay", None, "wd of the original code, wd·Σw²/2 (default 2e-4; WRN 5e-4).")
flags.DEFINE_float("momentum", 0.9, "SGD momentum.")
flags.DEFINE_bool("nesterov", None, "Nesterov momentum (default: only for wrn28_10).")
flags.DEFINE_integer("pad", 2, "Pixels of padding before the random crop (2 or 4; 0 = none).")
flags.DEFINE_bool("augment", True, "Random crop + flip on the training set.")
flags.DEFINE_string("mode", "train_and_eval", "train|eval|train_and_eval.")
flags.DEFINE_integer("eval_every", 1000, "Steps between test-set evaluations and checkpoints.")
flags.DEFINE_integer("keep_checkpoints", 3, "Newest checkpoints to keep.")
flags.DEFINE_integer("summary_every", 100, "Steps between training scalars in TensorBoard.")
flags.DEFINE_bool("measurements", True, "Log block ratios, I(X;Ŷ)−I(Y;Ŷ) and classifier stats.")
flags.DEFINE_integer("block_ratio_every", 100, "Steps between |L(x)|/|x| measurements (0 = off).")
flags.DEFINE_integer("info_every", 1000, "Steps between I(X;Ŷ), I(Y;Ŷ) measurements (0 = off).")
flags.DEFINE_integer("classifier_stats_every", 500, "Steps between classifier statistics (0 = off).")

# --- information-plane experiment (P1, SPEC §7): one flag per InfoPlaneConfig field ---
SHARED_FLAGS = ("seed", "log_dir", "overwrite", "verbose", "batch_size", "train_fraction")
_DEFINE_BY_TYPE = {str: flags.DEFINE_string, int: flags.DEFINE_integer,
                   float: flags.DEFINE_float, bool: flags.DEFINE_bool}
INFO_PLANE_FLAGS = []
for _field in dataclasses.fields(InfoPlaneConfig):
    if _field.name in SHARED_FLAGS:
        continue
    INFO_PLANE_FLAGS.append(_field.name)
    if _field.type is tuple:
        flags.DEFINE_list(_field.name, [str(v) for v in _field.default], _field.metadata["help"])
    else:
        _DEFINE_BY_TYPE[_field.type](_field.name, _field.default, _field.metadata["help"])
RESNET_FLAGS = ("model", "dataset", "data_dir", "regularizer", "alpha1", "alpha2", "l1_method",
                "l1_every", "train_steps", "lr_boundaries", "lr_values", "weight_decay",
                "momentum", "nesterov", "pad", "augment", "mode", "eval_every",
                "keep_checkpoints", "summary_every", "measurements", "block_ratio_every",
                "info_every", "classifier_stats_every")


def _check_flags_belong_to(experiment):
    """A flag of the other experiment set on the command line is a mistake: say so."""
    foreign = INFO_PLANE_FLAGS if experiment == "resnet" else RESNET_FLAGS
    given = [name for name in foreign if FLAGS[name].present]
    if given:
        raise ValueError(f"--{given[0]} does not apply to --experiment={experiment}")


def _shared_overrides():
    """batch_size / train_fraction when given: each experiment has its own default."""
    return {name: getattr(FLAGS, name) for name in ("batch_size", "train_fraction")
            if getattr(FLAGS, name) is not None}


def _float_list(values, name):
    try:
        return tuple(float(v) for v in values)
    except ValueError:
        raise ValueError(f"Expected numbers in --{name}. Received: {','.join(values)}") from None


def resnet_config():
    """The ResNetConfig described by the flags."""
    from experiments.resnet_config import ResNetConfig

    boundaries = FLAGS.lr_boundaries
    return ResNetConfig(
        model=FLAGS.model, dataset=FLAGS.dataset, data_dir=FLAGS.data_dir,
        regularizer=FLAGS.regularizer,
        alpha1=FLAGS.alpha1, alpha2=FLAGS.alpha2, l1_method=FLAGS.l1_method,
        l1_every=FLAGS.l1_every, train_steps=FLAGS.train_steps,
        lr_boundaries=(tuple(int(v) for v in _float_list(boundaries, "lr_boundaries"))
                       if boundaries else None),
        lr_values=_float_list(FLAGS.lr_values, "lr_values") if FLAGS.lr_values else None,
        weight_decay=FLAGS.weight_decay, momentum=FLAGS.momentum, nesterov=FLAGS.nesterov,
        augment=FLAGS.augment, pad=FLAGS.pad,
        log_dir=FLAGS.log_dir or os.path.join("runs", FLAGS.model), mode=FLAGS.mode,
        eval_every=FLAGS.eval_every, keep_checkpoints=FLAGS.keep_checkpoints,
        summary_every=FLAGS.summary_every, measurements=FLAGS.measurements,
        block_ratio_every=FLAGS.block_ratio_every, info_every=FLAGS.info_every,
        classifier_stats_every=FLAGS.classifier_stats_every, seed=FLAGS.seed,
        overwrite=FLAGS.overwrite, verbose=FLAGS.verbose, **_shared_overrides()).validate()


def info_plane_config():
    """The InfoPlaneConfig described by the flags."""
    values = {name: getattr(FLAGS, name) for name in INFO_PLANE_FLAGS}
    try:
        values["layer_sizes"] = tuple(int(v) for v in FLAGS.layer_sizes)
    except ValueError:
        raise ValueError("Expected integers in --layer_sizes. "
                         f"Received: {','.join(FLAGS.layer_sizes)}") from None
    return InfoPlaneConfig(seed=FLAGS.seed, log_dir=FLAGS.log_dir, overwrite=FLAGS.overwrite,
                           verbose=FLAGS.verbose, **values, **_shared_overrides()).validate()


def run_resnet():
    from experiments import resnet

    config = resnet_config()
    results = resnet.run(config)
    print(" ".join(f"{k}={v}" for k, v in results.items()))


def run_info_plane():
    config = info_plane_config()  # bad flags fail here, before TensorFlow loads
    from experiments import info_plane

    results = info_plane.run(config)
    for layer, point in results["end_points"].items():
        print(f"{layer}: I(X;T) max {point['I_XT_max']:.3f} -> final {point['I_XT_final']:.3f}"
              f", I(T;Y) final {point['I_TY_final']:.3f} bits")
    print(f"figure: {results['figure_path']}\ntrajectory: {results['trajectory_path']}")


def main(argv):
    if len(argv) > 1:
        raise ValueError(f"Unexpected arguments: {' '.join(argv[1:])}")
    _check_flags_belong_to(FLAGS.experiment)
    {"resnet": run_resnet, "info_plane": run_info_plane}[FLAGS.experiment]()


def user_errors():
    """The exception types that mean "bad input", reported in one line."""
    from data import DatasetUnavailableError
    from experiments.resnet import TrainingDivergedError

    return (ValueError, FileNotFoundError, FileExistsError, DatasetUnavailableError,
            TrainingDivergedError)


def entry_point():
    try:
        app.run(main)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - reclassified below
        if isinstance(error, user_errors()):
            print(f"Error: {error}", file=sys.stderr)
            sys.exit(1)
        raise


if __name__ == "__main__":
    entry_point()
