"""`check_image_arrays`: the one shape/dtype check of the CIFAR and MNIST file readers."""

import numpy as np
import pytest

from infodl.data.file_checks import check_image_arrays
from infodl.data.mnist_files import read_mnist_npz

GOOD = (np.zeros((4, 6, 5), np.uint8), np.arange(4, dtype=np.uint8))


@pytest.mark.parametrize("images, labels, message", [
    (GOOD[0].astype(np.float32), GOOD[1], r"x uint8 of shape \(N, H, 5\).*x float32"),
    (GOOD[0][:, :, :4], GOOD[1], r"Received: x uint8 \(4, 6, 4\)"),
    (GOOD[0][..., None], GOOD[1], r"Received: x uint8 \(4, 6, 5, 1\)"),
    (GOOD[0], GOOD[1][:3], r"N integer y\. Received: .*y uint8 \(3,\)"),
    (GOOD[0], GOOD[1].astype(np.float64), r"y float64 \(4,\)"),
])
def test_wrong_shape_or_dtype_is_one_line_naming_the_file(images, labels, message):
    with pytest.raises(ValueError, match=rf"^Corrupt file f\.npz: expected .*{message}") as info:
        check_image_arrays(images, labels, "f.npz", ("H", 5), names=("x", "y"))
    assert "\n" not in str(info.value)


def test_accepts_the_stored_form_and_any_float_when_asked():
    check_image_arrays(*GOOD, "f.npz", ("H", 5))
    check_image_arrays(GOOD[0].reshape(4, -1).astype(np.float64), GOOD[1], "f.pkl", (30,),
                       dtype="float")


def test_mnist_npz_with_a_channel_axis_reads_as_without(tmp_path):
    rng = np.random.default_rng(2)
    arrays = {"x_train": rng.integers(0, 256, (3, 28, 28, 1), dtype=np.uint8),
              "y_train": np.array([0, 1, 2]), "x_test": np.zeros((2, 28, 28), np.uint8),
              "y_test": np.array([3, 4])}
    np.savez(tmp_path / "mnist.npz", **arrays)
    x_train, y_train, x_test, _ = read_mnist_npz(tmp_path / "mnist.npz", expected_records=None)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert x_test.shape == (2, 28, 28, 1) and y_train.tolist() == [0, 1, 2]
