"""Data sources (tfds, original local files, scikit-learn digits, synthetic) and the
CIFAR input pipeline of tensorflow/models research/resnet.

NumPy parts (imported eagerly, no TensorFlow): `Dataset`, `load_dataset`,
`DATASET_NAMES`, `DatasetUnavailableError` and the readers of the original files
(`data.local_files`, `data.cifar_files`, `data.mnist_files`, `data.mnist_pickle`).
Imported on first access, so that `import data.dataset` loads neither TensorFlow nor
SciPy: the tf.data pipelines `make_train_pipeline`, `make_eval_pipeline`
(`data.cifar_input`, TensorFlow) and the 12-bit task `generate_twelve_bit_task`,
`load_twelve_bit_task`, `load_var_u` (`data.twelve_bit`, SciPy).

Example:
    >>> from data import load_dataset, make_train_pipeline
    >>> ds = load_dataset("synthetic")
    >>> train = make_train_pipeline(ds.x_train, ds.y_train, batch_size=128)
"""

import importlib

from data.dataset import DATASET_NAMES, Dataset, load_dataset
from data.tfds_source import DatasetUnavailableError

# Public name -> module that defines it (these modules import TensorFlow or SciPy).
_LAZY = {
    "make_train_pipeline": "data.cifar_input",
    "make_eval_pipeline": "data.cifar_input",
    "generate_twelve_bit_task": "data.twelve_bit",
    "load_twelve_bit_task": "data.twelve_bit",
    "load_var_u": "data.twelve_bit",
}

__all__ = [
    "DATASET_NAMES",
    "Dataset",
    "DatasetUnavailableError",
    "generate_twelve_bit_task",
    "load_dataset",
    "load_twelve_bit_task",
    "load_var_u",
    "make_eval_pipeline",
    "make_train_pipeline",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'data' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
