"""Tests of the synthetic CIFAR-shaped data: determinism, balance, learnability."""

import numpy as np
import pytest

from infodl.data import load_dataset
from infodl.data.synthetic import make_synthetic


def _standardize(images):
    flat = images.reshape(len(images), -1).astype(np.float64)
    flat -= flat.mean(axis=1, keepdims=True)
    return flat / np.maximum(flat.std(axis=1, keepdims=True), 1 / np.sqrt(flat.shape[1]))


def _nearest_centroid_accuracy(x_train, y_train, x_test, y_test):
    train, test = _standardize(x_train), _standardize(x_test)
    centroids = np.stack([train[y_train == c].mean(axis=0) for c in range(10)])
    distances = ((test[:, None, :] - centroids[None]) ** 2).sum(axis=-1)
    return np.mean(distances.argmin(axis=1) == y_test)


def test_shapes_balance_and_determinism():
    dataset = load_dataset("synthetic", synthetic_sizes=(200, 50), seed=3)
    assert dataset.source == "synthetic" and dataset.image_shape == (32, 32, 3)
    assert dataset.x_train.shape == (200, 32, 32, 3) and dataset.x_test.shape[0] == 50
    assert np.bincount(dataset.y_train).tolist() == [20] * 10
    again = load_dataset("synthetic", synthetic_sizes=(200, 50), seed=3)
    np.testing.assert_array_equal(dataset.x_train, again.x_train)
    np.testing.assert_array_equal(dataset.y_test, again.y_test)
    other = load_dataset("synthetic", synthetic_sizes=(200, 50), seed=4)
    assert np.mean(dataset.x_train != other.x_train) > 0.9
    # Pixels use the range without saturating much.
    assert 100 < dataset.x_train.mean() < 156 and np.mean(dataset.x_train == 255) < 0.05


def test_learnable_but_not_trivial_for_nearest_centroid():
    x_train, y_train, x_test, y_test = make_synthetic(1000, 500, seed=0)
    accuracy = _nearest_centroid_accuracy(x_train, y_train, x_test, y_test)
    assert 0.6 < accuracy < 0.97
    shuffled = np.random.default_rng(0).permutation(y_train)
    assert _nearest_centroid_accuracy(x_train, shuffled, x_test, y_test) < 0.25


@pytest.mark.parametrize("sizes", [(0, 10), (10, -1), (2.5, 10), (10,), "10,10"])
def test_bad_sizes_are_rejected(sizes):
    with pytest.raises(ValueError, match="Expected"):
        load_dataset("synthetic", synthetic_sizes=sizes)


@pytest.mark.slow
def test_small_cnn_learns_it_through_the_cifar_pipeline():
    import keras

    from infodl.data import make_eval_pipeline, make_train_pipeline

    dataset = load_dataset("synthetic")  # 2560 train / 512 test
    keras.utils.set_random_seed(0)
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(dataset.image_shape),
        layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(), layers.Dense(dataset.num_classes)])
    model.compile(keras.optimizers.Adam(3e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    train = make_train_pipeline(dataset.x_train, dataset.y_train, 64, seed=0)
    model.fit(train, steps_per_epoch=40, epochs=12, verbose=0)
    _, accuracy = model.evaluate(
        make_eval_pipeline(dataset.x_test, dataset.y_test, 256), verbose=0)
    print(f"synthetic CNN test accuracy: {accuracy:.4f}")
    assert accuracy > 0.8  # chance is 0.1
