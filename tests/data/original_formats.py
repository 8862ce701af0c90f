"""Writers of small files in the exact original CIFAR / MNIST formats (test helpers)."""

import gzip
import pickle

import numpy as np


def random_images(rng, count, shape=(32, 32, 3)):
    return rng.integers(0, 256, size=(count,) + shape, dtype=np.uint8)


def write_cifar_binary(path, images, labels, coarse_labels=None):
    """Records: [coarse byte,] label byte, 1024 R + 1024 G + 1024 B bytes."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    columns = [np.asarray(labels, np.uint8)[:, None], planes]
    if coarse_labels is not None:
        columns.insert(0, np.asarray(coarse_labels, np.uint8)[:, None])
    np.concatenate(columns, axis=1).astype(np.uint8).tofile(path)


def write_cifar_pickle(path, images, labels, label_key="labels", protocol=2,
                       coarse_labels=None):
    """A dict like the original batches: b'data' N×3072 uint8, labels as a list."""
    batch = {
        b"batch_label": b"testing batch 1 of 1",
        b"data": images.transpose(0, 3, 1, 2).reshape(len(images), -1).copy(),
        label_key.encode(): [int(v) for v in labels],
        b"filenames": [b"img_%d.png" % i for i in range(len(images))],
    }
    if coarse_labels is not None:
        batch[b"coarse_labels"] = [int(v) for v in coarse_labels]
    with open(path, "wb") as handle:
        pickle.dump(batch, handle, protocol=protocol)


def idx_bytes(array):
    """Two zero bytes, 0x08 (ubyte), ndim, big-endian uint32 dims, data."""
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def write_idx(path, array):
    payload = idx_bytes(array)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as handle:
            handle.write(payload)
    else:
        with open(path, "wb") as handle:
            handle.write(payload)


def write_mnist_idx(folder, x_train, y_train, x_test, y_test, gz=True):
    suffix = ".gz" if gz else ""
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", x_train)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", y_train)
    write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", x_test)
    write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", y_test)


def mnist_pickle_splits(rng, counts=(30, 10, 10)):
    """(train, validation, test) pairs of uint8 N×28×28 images and int64 labels; every
    pixel value 0..255 occurs in the train images, every class in every split."""
    splits = []
    for count in counts:
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.permutation(np.arange(count) % 10).astype(np.int64)
        splits.append((images, labels))
    splits[0][0].reshape(-1)[:256] = np.arange(256)
    return splits


def write_mnist_pickle(path, splits, scale=256, protocol=2, compress=True):
    """Like the classic mnist.pkl.gz: a tuple of 3 (float32 N×784 = v / scale, int64 N)."""
    payload = tuple(
        ((np.asarray(images, np.float32).reshape(len(images), -1) / np.float32(scale)),
         np.asarray(labels, np.int64)) for images, labels in splits)
    write_pickle(path, payload, protocol=protocol, compress=compress)


def write_pickle(path, obj, protocol=2, compress=True):
    with (gzip.open(path, "wb", compresslevel=1) if compress else open(path, "wb")) as handle:
        pickle.dump(obj, handle, protocol=protocol)
