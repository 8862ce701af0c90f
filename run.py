"""Entry point: absl flags -> one config object -> an experiment's run().

    python run.py --model=resnet32 --alpha2=0.03                      # P2 on CIFAR-10
    python run.py --model=resnet32 --alpha2=0.03 --dataset=synthetic --train_steps=50
    python run.py --experiment=info_plane --activation=tanh           # P1 / Shwartz-Ziv & Tishby

Errors a user can cause end in one line on stderr and exit code 1.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

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
flags.DEFINE_float("train_fraction", 1.0, "Fraction of the training set to use (stratified).")
flags.DEFINE_string("regularizer", "info", "info|naive|none (P2 eq. 7, Table 1).")
flags.DEFINE_float("alpha1", 0.0, "Coefficient of ||w||_1.")
flags.DEFINE_float("alpha2", 0.0, "Coefficient of mean ||w_y||·||F(x)|| (naive: ||w||_F).")
flags.DEFINE_string("l1_method", "proximal", "proximal (soft-threshold every l1_every "
                    "steps, P2 appendix E) | subgradient.")
flags.DEFINE_integer("l1_every", 30, "Interval of the proximal l1 step.")
flags.DEFINE_integer("batch_size", 128, "Batch size.")
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
        train_fraction=FLAGS.train_fraction, regularizer=FLAGS.regularizer,
        alpha1=FLAGS.alpha1, alpha2=FLAGS.alpha2, l1_method=FLAGS.l1_method,
        l1_every=FLAGS.l1_every, batch_size=FLAGS.batch_size, train_steps=FLAGS.train_steps,
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
        overwrite=FLAGS.overwrite, verbose=FLAGS.verbose).validate()


def run_resnet():
    from experiments import resnet

    config = resnet_config()
    results = resnet.run(config)
    print(" ".join(f"{k}={v}" for k, v in results.items()))


def main(argv):
    if len(argv) > 1:
        raise ValueError(f"Unexpected arguments: {' '.join(argv[1:])}")
    {"resnet": run_resnet}[FLAGS.experiment]()


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
