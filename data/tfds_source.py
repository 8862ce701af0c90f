"""TensorFlow Datasets source that fails within seconds when it cannot download.

tfds retries an unreachable download for minutes. Before letting tfds download a
dataset that is not yet prepared in its data dir, this module opens one TCP
connection to the download host (DNS lookup included, 3 s budget) and raises
`DatasetUnavailableError` naming the offline options when that fails.
"""

import socket
import threading

import numpy as np

TFDS_DOWNLOAD_HOSTS = {
    "cifar10": ("www.cs.toronto.edu", 443),
    "cifar100": ("www.cs.toronto.edu", 443),
    "mnist": ("storage.googleapis.com", 443),
}
# Chunked reading instead of batch_size=-1: when tfds does not know a split's size
# (e.g. under tfds.testing.mock_data) batch_size=-1 becomes padded_batch(sys.maxsize),
# which aborts the process in TF 2.21 (std::length_error in vector::reserve).
_LOAD_CHUNK = 10000
OFFLINE_OPTIONS = ("--data_dir=<folder with the original CIFAR/MNIST files>, "
                   "--dataset=synthetic, or --dataset=digits")


class DatasetUnavailableError(RuntimeError):
    """A tfds dataset is neither prepared locally nor downloadable right now.

    Its message is one line naming the offline options: `--data_dir=<folder with
    the original CIFAR/MNIST files>`, `--dataset=synthetic`, or `--dataset=digits`.

    Example:
        >>> from infodl.data.tfds_source import DatasetUnavailableError, load_from_tfds
        >>> try:  # a probe of 1 µs always fails: the error an offline machine sees
        ...     load_from_tfds("cifar10", tfds_data_dir="tfds", connect_timeout=1e-6)
        ... except DatasetUnavailableError as error:
        ...     print(error)
        Dataset 'cifar10' is not prepared in the TFDS data dir ... and cannot be downloaded
        (www.cs.toronto.edu:443 unreachable within 1e-06 s). Offline options:
        --data_dir=<folder with the original CIFAR/MNIST files>, --dataset=synthetic, or
        --dataset=digits.

    Reference: TensorFlow Datasets download and `tfds.testing.mock_data`.
    """


def host_is_reachable(host, port, timeout=3.0):
    """True when a TCP connection to (host, port) opens within `timeout` seconds.

    The lookup and connect run in a daemon thread, because `getaddrinfo` ignores
    socket time-outs; the call therefore returns after at most ~`timeout` seconds.
    """
    outcome = []

    def connect():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(outcome and outcome[0])


def _unavailable(name, data_dir, reason):
    return DatasetUnavailableError(
        f"Dataset {name!r} is not prepared in the TFDS data dir {data_dir} and "
        f"cannot be downloaded ({reason}). Offline options: {OFFLINE_OPTIONS}.")


def load_from_tfds(name, tfds_data_dir=None, connect_timeout=3.0):
    """Loads the train and test splits of a tfds dataset as NumPy arrays.

    Uses `tfds.load(name, split=["train", "test"], as_supervised=True)` in
    chunks of 10 000 examples joined into arrays (CIFAR-100: the fine `label`). When the
    dataset is not prepared, the download host is probed first; an unreachable host, or a
    failing download,
    raises `DatasetUnavailableError` instead of letting tfds retry for minutes.

    Args:
        name: "cifar10", "cifar100" or "mnist".
        tfds_data_dir: tfds data dir; None uses tfds' default (`$TFDS_DATA_DIR` or
            ~/tensorflow_datasets).
        connect_timeout: seconds allowed for the reachability probe.

    Returns:
        (x_train, y_train, x_test, y_test): uint8 N×H×W×C images, int64 labels.

    Example (skipped in the tests: it downloads MNIST once, or needs it prepared):
        >>> from infodl.data.tfds_source import load_from_tfds
        >>> x_train, y_train, x_test, y_test = load_from_tfds("mnist")  # doctest: +SKIP
        >>> x_train.shape, x_test.shape  # doctest: +SKIP
        ((60000, 28, 28, 1), (10000, 28, 28, 1))

    Reference: TensorFlow Datasets (`cifar10`, `cifar100`, `mnist`).
    """
    if name not in TFDS_DOWNLOAD_HOSTS:
        raise ValueError(
            f"Expected name in {sorted(TFDS_DOWNLOAD_HOSTS)} for tfds. "
            f"Received: name={name!r}")
    import tensorflow_datasets as tfds  # imported lazily: ~1 s, not needed offline

    builder = tfds.builder(name, data_dir=tfds_data_dir)
    if not builder.is_prepared():
        host, port = TFDS_DOWNLOAD_HOSTS[name]
        if not host_is_reachable(host, port, connect_timeout):
            raise _unavailable(name, builder.data_dir_root,
                               f"{host}:{port} unreachable within {connect_timeout:g} s")
        try:
            builder.download_and_prepare()
        except Exception as error:  # network/disk failures all mean "unavailable"
            first_line = (str(error).strip().splitlines() or [""])[0]
            raise _unavailable(
                name, builder.data_dir_root,
                f"download failed: {type(error).__name__}: {first_line}") from error
    splits = tfds.load(name, split=["train", "test"], as_supervised=True,
                       batch_size=_LOAD_CHUNK, data_dir=tfds_data_dir, download=False)
    arrays = []
    for split in tfds.as_numpy(splits):
        images, labels = zip(*split, strict=True)
        arrays += [np.concatenate(images).astype(np.uint8),
                   np.concatenate(labels).astype(np.int64)]
    return tuple(arrays)
