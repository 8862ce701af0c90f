"""The CIFAR input pipeline of tensorflow/models research/resnet (cifar_input.py) in tf.data.

Training: zero-pad `pad` pixels per side (2 -> 36×36), random crop back to H×W,
random horizontal flip, then per-image standardization

    x' = (x − mean(x)) / max(std(x), 1/√(H·W·C));

shuffled, repeated forever, batches of exactly `batch_size`. Evaluation:
standardization only, one pass, the last partial batch kept.
"""

import numpy as np
import tensorflow as tf

from infodl.checks import check_integer


def _check_arrays(images, labels):
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError("Expected images of shape (N, H, W, C) with N > 0. "
                         f"Received: images with shape {images.shape}")
    if not (images.dtype == np.uint8 or np.issubdtype(images.dtype, np.floating)):
        raise ValueError(f"Expected uint8 or float images. Received: {images.dtype}")
    if np.issubdtype(images.dtype, np.floating) and not np.all(np.isfinite(images)):
        raise ValueError("Expected finite images. Received: images with NaN or inf")
    if labels.shape != images.shape[:1] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"Expected integer labels of shape {images.shape[:1]}. "
            f"Received: {labels.dtype} labels with shape {labels.shape}")
    return images, labels.astype(np.int32)


def standardize_image(image):
    """Per-image standardization of one H×W×C image (any real dtype) as float32."""
    return tf.image.per_image_standardization(tf.cast(image, tf.float32))


def standardize_images(images):
    """A batch of images (N×H×W×C, any real dtype) standardized per image, as NumPy float32.

    The same map as the evaluation pipeline: (x − mean) / max(std, 1/sqrt(#values)).
    """
    return tf.image.per_image_standardization(np.asarray(images, np.float32)).numpy()


def pad_crop_flip(image, pad, seed):
    """Zero-pads `pad` px per side, crops a random H×W window, flips with prob. ½.

    Args:
        image: H×W×C float32 tensor with a static shape.
        pad: non-negative integer.
        seed: int64 tensor of shape [2] for the stateless random ops.

    Returns:
        H×W×C float32 tensor.
    """
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]])
    cropped = tf.image.stateless_random_crop(padded, tf.shape(image), seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(cropped, seed=flip_seed)


def make_train_pipeline(x, y, batch_size, augment=True, pad=2, seed=None,
                        shuffle_buffer=None, start_batch=0):
    """Infinite, shuffled, augmented training batches (resnet cifar_input.py, train).

    Epoch e visits the examples in the order of a permutation drawn from the seed
    (seed, e) alone, and example k of the stream is augmented with the seed (seed, k):
    the stream is a pure function of `seed`, however many iterators are made of it (a
    `tf.distribute` strategy makes its own) and wherever it starts. `start_batch=S`
    starts at the S-th batch, so a run resumed at step S sees the batches an
    uninterrupted run would.

    Args:
        x: images N×H×W×C (uint8 or finite float).
        y: integer labels, length N.
        batch_size: positive integer; every batch has exactly this many examples
            (batches run across epoch boundaries, so N < batch_size also works).
        augment: pad + random crop + random horizontal flip before standardizing.
        pad: pixels of zero padding per side (2 -> 36×36 as in cifar_input.py; 4 is common too).
        seed: integer for a reproducible order and augmentation; None draws one.
        shuffle_buffer: unused (each epoch is a full permutation); kept for callers.
        start_batch: index of the first batch (0 = the start of the stream).

    Returns:
        tf.data.Dataset of (images float32 batch×H×W×C, labels int32 batch).

    Example:
        >>> from infodl.data.cifar_input import make_train_pipeline
        >>> x = np.random.default_rng(0).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
        >>> train = make_train_pipeline(x, np.arange(10), batch_size=4, seed=0)
        >>> images, labels = next(iter(train))  # batches run on forever, across epochs
        >>> tuple(images.shape), sorted(labels.numpy()) == sorted(set(labels.numpy()))
        ((4, 32, 32, 3), True)
        >>> np.allclose(images.numpy().mean(axis=(1, 2, 3)), 0.0, atol=1e-5)  # standardized
        True

    Reference: tensorflow/models research/resnet/cifar_input.py.
    """
    batch_size = check_integer(batch_size, "batch_size")
    check_integer(shuffle_buffer, "shuffle_buffer", allow_none=True)
    start_batch = check_integer(start_batch, "start_batch", minimum=0)
    pad = check_integer(pad, "pad", minimum=0)
    images, labels = _check_arrays(x, y)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    seed = check_integer(seed, "seed", minimum=None)
    num_examples = len(images)
    first_element = start_batch * batch_size
    images, labels = tf.constant(images), tf.constant(labels)
    seed_tensor = tf.constant(seed, tf.int64)

    def epoch_order(epoch):
        permutation = tf.random.experimental.stateless_shuffle(
            tf.range(num_examples, dtype=tf.int64), seed=tf.stack([seed_tensor, epoch]))
        return tf.data.Dataset.from_tensor_slices(permutation)

    def preprocess(position, index):
        image = tf.cast(tf.gather(images, index), tf.float32)
        if augment:
            image = pad_crop_flip(image, int(pad), tf.stack([seed_tensor, position]))
        return standardize_image(image), tf.gather(labels, index)

    order = tf.data.Dataset.counter(first_element // num_examples).flat_map(epoch_order)
    order = order.skip(first_element % num_examples)
    dataset = tf.data.Dataset.zip(tf.data.Dataset.counter(first_element), order)
    dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE,
                          deterministic=True)
    dataset = dataset.batch(int(batch_size), drop_remainder=True)
    dataset = dataset.apply(
        tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_eval_pipeline(x, y, batch_size):
    """One ordered pass of standardized batches; the last batch may be smaller.

    Args:
        x: images N×H×W×C (uint8 or finite float).
        y: integer labels, length N.
        batch_size: positive integer.

    Returns:
        tf.data.Dataset of (images float32 ≤batch×H×W×C, labels int32), covering
        every example exactly once, in order.

    Example:
        >>> from infodl.data.cifar_input import make_eval_pipeline
        >>> x = np.random.default_rng(0).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
        >>> [labels.numpy().tolist() for _, labels in make_eval_pipeline(x, np.arange(10), 4)]
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]

    Reference: tensorflow/models research/resnet/cifar_input.py (eval mode).
    """
    batch_size = check_integer(batch_size, "batch_size")
    images, labels = _check_arrays(x, y)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.map(lambda image, label: (standardize_image(image), label),
                          num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)
