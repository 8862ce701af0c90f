"""Tests of the 12-bit task: the var_u.mat loader and the file-free generator."""

import numpy as np
import pytest
import scipy.io

from infodl.data.twelve_bit import (
    all_binary_patterns,
    generate_twelve_bit_task,
    icosahedron_vertices,
    load_twelve_bit_task,
    load_var_u,
    train_test_split_indices,
)


def _entropy_bits(p):
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def test_var_u_matches_published_statistics(var_u_path):
    inputs, labels = load_var_u(var_u_path)
    assert inputs.shape == (4096, 12) and labels.shape == (4096,)
    assert len(np.unique(inputs, axis=0)) == 4096
    assert labels.mean() == pytest.approx(0.517, abs=5e-4)
    assert _entropy_bits(labels.mean()) == pytest.approx(0.99916, abs=1e-5)
    np.testing.assert_array_equal(inputs, all_binary_patterns())


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="var_u.mat"):
        load_var_u(tmp_path / "absent.mat")


def test_corrupt_file_raises_value_error(tmp_path):
    path = tmp_path / "corrupt.mat"
    path.write_bytes(b"this is not a MATLAB file at all" * 10)
    with pytest.raises(ValueError, match="unreadable"):
        load_var_u(path)


@pytest.mark.parametrize("contents, message", [
    ({"X": np.zeros((4, 12)), "y": np.zeros((1, 4))}, "keys"),
    ({"F": np.zeros((4, 11)), "y": np.zeros((1, 4))}, "F of shape"),
    ({"F": np.zeros((4, 12)), "y": np.zeros((1, 5))}, "y of shape"),
    ({"F": np.full((4, 12), 2.0), "y": np.zeros((1, 4))}, "only 0 and 1"),
    ({"F": np.zeros((4, 12)), "y": np.array([[0.0, np.nan, 1.0, 0.0]])}, "only 0 and 1"),
])
def test_malformed_contents_raise_value_error(tmp_path, contents, message):
    path = tmp_path / "bad.mat"
    scipy.io.savemat(path, contents)
    with pytest.raises(ValueError, match=message):
        load_var_u(path)


def test_loader_accepts_column_labels(tmp_path):
    inputs = all_binary_patterns(12)[:8]
    labels = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    path = tmp_path / "small.mat"
    scipy.io.savemat(path, {"F": inputs, "y": labels[:, None]})
    loaded_inputs, loaded_labels = load_var_u(path)
    np.testing.assert_array_equal(loaded_inputs, inputs)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_icosahedron_geometry():
    vertices = icosahedron_vertices()
    np.testing.assert_allclose(np.linalg.norm(vertices, axis=1), 1.0)
    cosines = vertices @ vertices.T
    off_diagonal = cosines[~np.eye(12, dtype=bool)]
    # each vertex: 5 neighbours at cos = 1/sqrt5, 5 at -1/sqrt5, one antipode at -1
    for row in cosines:
        assert np.sum(np.isclose(row, 1 / np.sqrt(5))) == 5
        assert np.sum(np.isclose(row, -1 / np.sqrt(5))) == 5
        assert np.sum(np.isclose(row, -1.0)) == 1
    assert np.all(np.isclose(np.abs(off_diagonal), 1 / np.sqrt(5)) | np.isclose(off_diagonal, -1))


def _rotation_permutation(vertices, axis, angle):
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rotation = np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k
    rotated = vertices @ rotation.T
    permutation = np.argmax(rotated @ vertices.T, axis=1)
    np.testing.assert_allclose(vertices[permutation], rotated, atol=1e-9)
    return permutation


def test_generated_task_statistics_and_symmetry():
    inputs, labels = generate_twelve_bit_task()
    assert inputs.shape == (4096, 12) and labels.shape == (4096,)
    assert len(np.unique(inputs, axis=0)) == 4096
    assert abs(labels.mean() - 0.5) < 0.02
    assert _entropy_bits(labels.mean()) > 0.998
    # labels are invariant under the icosahedron's rotations (permutations of the bits)
    vertices = icosahedron_vertices()
    codes = (inputs.astype(np.int64) << np.arange(11, -1, -1)).sum(axis=1)
    np.testing.assert_array_equal(codes, np.arange(4096))
    for axis, angle in [(vertices[0], 2 * np.pi / 5), (vertices[3], 4 * np.pi / 5)]:
        permutation = _rotation_permutation(vertices, axis, angle)
        permuted = inputs[:, permutation].astype(np.int64)
        permuted_codes = (permuted << np.arange(11, -1, -1)).sum(axis=1)
        np.testing.assert_array_equal(labels[permuted_codes], labels)


def test_generated_labels_recomputed_with_numpy():
    inputs, labels = generate_twelve_bit_task(dipole_weight=0.5)
    vertices = icosahedron_vertices()
    score = inputs.sum(1) + 0.5 * np.sum((inputs @ vertices) ** 2, axis=1)
    # labels are a threshold of the score: every positive scores above every negative
    assert score[labels == 1].min() > score[labels == 0].max() - 1e-6
    # popcount dominates: no input with at most 3 ones is positive, all with >= 9 are
    assert labels[inputs.sum(1) <= 3].max() == 0 and labels[inputs.sum(1) >= 9].min() == 1
    with pytest.raises(ValueError, match="dipole_weight"):
        generate_twelve_bit_task(dipole_weight=-1.0)


def test_load_twelve_bit_task_without_a_file_is_the_generator():
    for kwargs in ({}, {"dipole_weight": 2.0}):
        inputs, labels = load_twelve_bit_task(None, **kwargs)
        expected_inputs, expected_labels = generate_twelve_bit_task(**kwargs)
        np.testing.assert_array_equal(inputs, expected_inputs)
        np.testing.assert_array_equal(labels, expected_labels)
    # the weight reaches the generator: another weight labels some patterns differently
    assert not np.array_equal(load_twelve_bit_task(None, dipole_weight=2.0)[1],
                              load_twelve_bit_task(None)[1])


def test_load_twelve_bit_task_with_a_file_is_the_file(var_u_path):
    inputs, labels = load_twelve_bit_task(var_u_path)
    expected_inputs, expected_labels = load_var_u(var_u_path)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(labels, expected_labels)


def test_train_test_split_partition():
    train, test = train_test_split_indices(4096, 0.8, seed=3)
    assert len(train) == 3277 and len(test) == 819
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(4096))
    again, _ = train_test_split_indices(4096, 0.8, seed=3)
    other, _ = train_test_split_indices(4096, 0.8, seed=4)
    np.testing.assert_array_equal(train, again)
    assert not np.array_equal(train, other)
    with pytest.raises(ValueError, match="train_fraction"):
        train_test_split_indices(4096, 1.0)
