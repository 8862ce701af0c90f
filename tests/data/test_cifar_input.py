"""Tests of the resnet cifar_input.py pipeline: standardization, crops, flips, batching."""

import numpy as np
import pytest
import tensorflow as tf

from infodl.data import make_eval_pipeline, make_train_pipeline


def _standardize(image):
    """NumPy per_image_standardization: (x − mean) / max(std, 1/√N)."""
    image = image.astype(np.float64)
    floor = 1.0 / np.sqrt(image.size)
    return (image - image.mean()) / max(image.std(), floor)


def _random_images(count, shape=(8, 8, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count,) + shape, np.uint8)


def test_eval_standardization_matches_numpy_including_the_floor():
    images = _random_images(5)
    images[3] = 77  # constant image: std 0 -> divided by the floor, output 0
    images[4] = 0
    images[4, 2, 5, 1] = 1  # std = sqrt(191)/192 < 1/sqrt(192): the floor applies
    labels = np.arange(5)
    (batch, batch_labels), = list(make_eval_pipeline(images, labels, batch_size=8))
    assert batch.dtype == tf.float32 and batch_labels.dtype == tf.int32
    for image, output in zip(images, batch.numpy(), strict=True):
        np.testing.assert_allclose(output, _standardize(image), rtol=1e-5, atol=1e-5)
    assert batch.numpy()[4, 2, 5, 1] == pytest.approx(191 / 192 * np.sqrt(192), 1e-5)
    outputs = batch.numpy()[:3].reshape(3, -1)
    np.testing.assert_allclose(outputs.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(outputs.std(axis=1), 1.0, atol=1e-4)


def test_eval_covers_every_example_once_in_order_with_a_partial_last_batch():
    images, labels = _random_images(10, (4, 4, 1)), np.arange(10)
    batches = list(make_eval_pipeline(images, labels, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), labels)


def _augmentation_candidates(image, pad):
    """Standardized crops of the padded image for every (dy, dx, flipped)."""
    height, width, _ = image.shape
    padded = np.pad(image, [(pad, pad), (pad, pad), (0, 0)])
    keys, candidates = [], []
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            crop = padded[dy:dy + height, dx:dx + width]
            for flipped in (False, True):
                keys.append((dy, dx, flipped))
                candidates.append(_standardize(crop[:, ::-1] if flipped else crop))
    return keys, np.stack(candidates)


@pytest.mark.parametrize("pad", [2, 4])
def test_train_crops_are_sub_windows_of_the_padded_image_and_half_flip(pad):
    images = _random_images(32)
    labels = np.arange(32)  # the label tells which image an output came from
    pipeline = make_train_pipeline(images, labels, batch_size=16, pad=pad, seed=5)
    candidates = [_augmentation_candidates(image, pad) for image in images]
    found = []
    for batch, batch_labels in pipeline.take(13):
        assert batch.shape == (16, 8, 8, 3) and batch.dtype == tf.float32
        for output, label in zip(batch.numpy(), batch_labels.numpy(), strict=True):
            keys, windows = candidates[label]
            close = np.all(np.abs(windows - output) < 1e-4, axis=(1, 2, 3))
            assert close.sum() == 1, [keys[i] for i in np.flatnonzero(close)]
            found.append(keys[int(np.flatnonzero(close)[0])])
    offsets = {(dy, dx) for dy, dx, _ in found}
    flip_share = np.mean([flipped for _, _, flipped in found])
    assert len(offsets) > (2 * pad + 1) ** 2 // 2  # the window really moves
    assert {0, 2 * pad} <= {dy for dy, _ in offsets}  # up to the padded borders
    assert 0.35 < flip_share < 0.65  # 208 draws: 0.5 ± 4.3 sd


def test_train_pipeline_is_infinite_full_batches_and_seeded():
    images, labels = _random_images(10, (4, 4, 3)), np.arange(10)
    pipeline = make_train_pipeline(images, labels, batch_size=4, seed=1)
    assert pipeline.cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    batches = [b[1].numpy() for b in pipeline.take(10)]  # 40 > 10 examples
    assert all(len(b) == 4 for b in batches)
    # Each epoch of 10 examples is a permutation (the first 40 draws = 4 epochs).
    draws = np.concatenate(batches)
    for epoch in draws.reshape(4, 10):
        assert sorted(epoch.tolist()) == list(range(10))
    assert not np.array_equal(draws[:10], np.arange(10))  # shuffled
    first = make_train_pipeline(images, labels, batch_size=4, seed=1)
    again = make_train_pipeline(images, labels, batch_size=4, seed=1)
    for (x1, y1), (x2, y2) in zip(first.take(3), again.take(3), strict=True):
        np.testing.assert_array_equal(x1.numpy(), x2.numpy())
        np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    other = make_train_pipeline(images, labels, batch_size=4, seed=2)
    assert not np.array_equal(next(iter(other))[0].numpy(), next(iter(again))[0].numpy())


def test_train_stream_is_a_function_of_the_seed_and_can_start_at_any_batch():
    """Iterating twice (a tf.distribute strategy makes its own iterator) and resuming at
    batch S give the batches of one uninterrupted stream."""
    images, labels = _random_images(10, (4, 4, 3)), np.arange(10)
    pipeline = make_train_pipeline(images, labels, batch_size=4, seed=3)
    stream = [(x.numpy(), y.numpy()) for x, y in pipeline.take(8)]
    second_pass = [(x.numpy(), y.numpy()) for x, y in pipeline.take(8)]
    resumed = make_train_pipeline(images, labels, batch_size=4, seed=3, start_batch=5)
    for (x1, y1), (x2, y2) in zip(stream, second_pass, strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    for (x1, y1), (x2, y2) in zip(stream[5:], resumed.take(3), strict=True):
        np.testing.assert_array_equal(x1, x2.numpy())
        np.testing.assert_array_equal(y1, y2.numpy())


def test_train_without_augment_is_standardization_only_and_small_sets_work():
    images, labels = _random_images(3, (4, 4, 3)), np.arange(3)
    pipeline = make_train_pipeline(images, labels, batch_size=8, augment=False, seed=0)
    batch, batch_labels = next(iter(pipeline))
    assert batch.shape == (8, 4, 4, 3)
    for output, label in zip(batch.numpy(), batch_labels.numpy(), strict=True):
        np.testing.assert_allclose(output, _standardize(images[label]), atol=1e-5)


@pytest.mark.parametrize("make", [make_train_pipeline, make_eval_pipeline])
@pytest.mark.parametrize("batch_size", [0, -4, 2.5])
def test_bad_batch_size_is_rejected(make, batch_size):
    with pytest.raises(ValueError, match=r"Expected batch_size >= 1 \(an integer\)"):
        make(_random_images(4), np.arange(4), batch_size)


@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((4, 8, 8), np.uint8), np.arange(4), r"\(N, H, W, C\)"),
    (np.zeros((0, 8, 8, 3), np.uint8), np.arange(0), r"N > 0"),
    (np.zeros((4, 8, 8, 3), np.uint8), np.arange(3), r"labels of shape \(4,\)"),
    (np.full((4, 8, 8, 3), np.nan, np.float32), np.arange(4), "finite"),
    (np.zeros((4, 8, 8, 3), np.uint8), np.zeros(4), "integer labels"),
])
def test_bad_arrays_are_rejected(images, labels, message):
    with pytest.raises(ValueError, match=message):
        make_train_pipeline(images, labels, 2)
    with pytest.raises(ValueError, match="pad >= 0"):
        make_train_pipeline(_random_images(4), np.arange(4), 2, pad=-1)
