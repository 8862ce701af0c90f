"""Data sources (tfds, original local files, scikit-learn digits, synthetic) and the
CIFAR input pipeline of tensorflow/models research/resnet.

NumPy parts (imported eagerly, no TensorFlow): `Dataset`, `load_dataset`,
`DATASET_NAMES`, `DatasetUnavailableError` and the readers of the original files
(`infodl.data.local_files`, `infodl.data.cifar_files`, `infodl.data.mnist_files`,
`infodl.data.mnist_pickle`).
Imported on first access, so that `import infodl.data.dataset` loads neither TensorFlow nor
SciPy: the tf.data pipelines `make_train_pipeline`, `make_eval_pipeline`
(`infodl.data.cifar_input`, TensorFlow) and the 12-bit task `generate_twelve_bit_task`,
`load_twelve_bit_task`, `load_var_u` (`infodl.data.twelve_bit`, SciPy).

Example:
    >>> from infodl.data import load_dataset, make_train_pipeline
    >>> ds = load_dataset("synthetic", synthetic_sizes=(64, 16))
    >>> train = make_train_pipeline(ds.x_train, ds.y_train, batch_size=8, seed=0)
    >>> images, labels = next(iter(train))
    >>> tuple(images.shape), tuple(labels.shape)
    ((8, 32, 32, 3), (8,))
"""

import infodl
from infodl.data.dataset import DATASET_NAMES, Dataset, load_dataset
from infodl.data.tfds_source import DatasetUnavailableError
from infodl.lazy_exports import lazy_exports

infodl.one_name(__name__)

# Public name -> module that defines it (these modules import TensorFlow or SciPy).
_LAZY = {
    "make_train_pipeline": ".cifar_input",
    "make_eval_pipeline": ".cifar_input",
    "generate_twelve_bit_task": ".twelve_bit",
    "load_twelve_bit_task": ".twelve_bit",
    "load_var_u": ".twelve_bit",
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


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
