"""Data sources (tfds, original local files, scikit-learn digits, synthetic) and the
CIFAR input pipeline of tensorflow/models research/resnet."""

from data.cifar_input import make_eval_pipeline, make_train_pipeline
from data.dataset import DATASET_NAMES, Dataset, load_dataset
from data.tfds_source import DatasetUnavailableError
from data.twelve_bit import generate_twelve_bit_task, load_twelve_bit_task, load_var_u
