"""Data sources (tfds, original local files, scikit-learn digits, synthetic) and the
CIFAR input pipeline of tensorflow/models research/resnet."""

from data.cifar_input import make_eval_pipeline, make_train_pipeline
from data.dataset import DATASET_NAMES, Dataset, load_dataset
from data.tfds_source import DatasetUnavailableError

try:  # written by another engineer; skipped until that module exists
    from data.twelve_bit import load_var_u, make_twelve_bit_task
except ImportError:
    pass
