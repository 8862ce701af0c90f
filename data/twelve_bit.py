"""The 12-bit binary task of the information-plane experiments.

4096 distinct binary inputs x in {0, 1}^12 and a binary label y. The original task
(Shwartz-Ziv & Tishby's `var_u.mat`, keys `F` 4096x12 and `y` 1x4096) is loaded from a
path the user supplies; `generate_twelve_bit_task` builds a task of the same kind with
no file: the 12 bits sit on the 12 vertices v_i of a regular icosahedron (unit sphere)
and the label thresholds a function invariant under the sphere's rotations that map
the vertices onto each other,

    f(x) = sum_i x_i + dipole_weight * || sum_i x_i v_i ||^2,    y = [f(x) > theta],

with theta the value of f that brings p(y = 1) closest to 1/2.

Example:
    inputs, labels = generate_twelve_bit_task()
    train_idx, test_idx = train_test_split_indices(len(labels), 0.8, seed=0)

Reference: Shwartz-Ziv & Tishby 2017, sec. 3.1 (task); P1 §1.2.
"""

import os

import numpy as np
import scipy.io

NUM_BITS = 12


def icosahedron_vertices():
    """The 12 vertices of a regular icosahedron on the unit sphere.

    Vertices are the cyclic permutations of (0, +-1, +-phi), phi = (1 + sqrt 5) / 2,
    scaled to unit norm.

    Returns:
        float64 array (12, 3).
    """
    phi = (1.0 + np.sqrt(5.0)) / 2.0
    vertices = []
    for a in (-1.0, 1.0):
        for b in (-phi, phi):
            vertices += [(0.0, a, b), (a, b, 0.0), (b, 0.0, a)]
    vertices = np.asarray(vertices)
    return vertices / np.linalg.norm(vertices, axis=1, keepdims=True)


def all_binary_patterns(num_bits=NUM_BITS):
    """All 2**num_bits binary rows, most significant bit first (row i = binary of i).

    Returns:
        float32 array (2**num_bits, num_bits) of 0/1.
    """
    codes = np.arange(2**num_bits)[:, None]
    shifts = np.arange(num_bits - 1, -1, -1)[None, :]
    return ((codes >> shifts) & 1).astype(np.float32)


def generate_twelve_bit_task(dipole_weight=0.5):
    """Build a 12-bit task of the var_u kind without any file.

    f(x) = sum_i x_i + dipole_weight * ||sum_i x_i v_i||^2 (v_i icosahedron vertices),
    y = [f(x) > theta] with theta the value of f giving p(y = 1) closest to 0.5.
    With the default weight p(y = 1) = 0.5127 (H(Y) = 0.99953 bits).

    Args:
        dipole_weight: float >= 0, weight of the squared dipole moment.

    Returns:
        (inputs, labels): float32 (4096, 12) of 0/1, int32 (4096,) of 0/1.

    Example:
        inputs, labels = generate_twelve_bit_task(dipole_weight=0.5)

    Reference: Shwartz-Ziv & Tishby 2017, sec. 3.1 (spherically symmetric rule).
    """
    if not np.isfinite(dipole_weight) or dipole_weight < 0:
        raise ValueError(
            f"Expected dipole_weight >= 0 (finite). Received: dipole_weight={dipole_weight}")
    inputs = all_binary_patterns(NUM_BITS)
    dipole = inputs.astype(np.float64) @ icosahedron_vertices()
    score = inputs.sum(axis=1) + dipole_weight * np.sum(dipole**2, axis=1)
    score = np.round(score, 9)  # equal scores must tie exactly
    candidates = np.unique(score)
    positive_rates = np.array([(score > theta).mean() for theta in candidates])
    theta = candidates[np.argmin(np.abs(positive_rates - 0.5))]
    labels = (score > theta).astype(np.int32)
    return inputs, labels


def load_var_u(path):
    """Load the original 12-bit task file (`var_u.mat`).

    Args:
        path: path of a MATLAB file with `F` (N x 12, 0/1) and `y` (1 x N or N x 1, 0/1).

    Returns:
        (inputs, labels): float32 (N, 12), int32 (N,).

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: unreadable file, missing keys, wrong shapes or non-binary values.

    Example:
        inputs, labels = load_var_u("/path/to/var_u.mat")

    Reference: ravidziv/IDNNs data/var_u.mat; Shwartz-Ziv & Tishby 2017, sec. 3.1.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Expected the 12-bit task file var_u.mat at {path!r}. Received: no such file")
    try:
        contents = scipy.io.loadmat(path)
    except Exception as error:  # scipy raises several types for corrupt files
        raise ValueError(
            f"Expected a MATLAB .mat file with keys 'F' and 'y' at {path!r}. "
            f"Received: unreadable file ({type(error).__name__}: {error})") from error
    missing = [key for key in ("F", "y") if key not in contents]
    if missing:
        found = sorted(key for key in contents if not key.startswith("__"))
        raise ValueError(
            f"Expected keys 'F' and 'y' in {path!r}. Received: keys {found}")
    inputs = np.asarray(contents["F"], dtype=np.float64)
    labels = np.asarray(contents["y"], dtype=np.float64)
    if inputs.ndim != 2 or inputs.shape[1] != NUM_BITS:
        raise ValueError(
            f"Expected F of shape (N, {NUM_BITS}). Received: F.shape={inputs.shape}")
    if labels.ndim == 2 and 1 in labels.shape:
        labels = labels.reshape(-1)
    if labels.ndim != 1 or labels.shape[0] != inputs.shape[0]:
        raise ValueError(
            f"Expected y of shape (1, {inputs.shape[0]}) matching F. "
            f"Received: y.shape={contents['y'].shape}")
    for name, values in (("F", inputs), ("y", labels)):
        if not np.all(np.isin(values, (0.0, 1.0))):
            raise ValueError(
                f"Expected {name} to hold only 0 and 1. "
                f"Received: values {np.unique(values)[:5]} (first five distinct)")
    return inputs.astype(np.float32), labels.astype(np.int32)


def load_twelve_bit_task(var_u_path=None, dipole_weight=0.5):
    """The original task when `var_u_path` is given, otherwise the generated one.

    Returns:
        (inputs, labels) as in `load_var_u` / `generate_twelve_bit_task`.
    """
    if var_u_path is None:
        return generate_twelve_bit_task(dipole_weight=dipole_weight)
    return load_var_u(var_u_path)


def train_test_split_indices(num_examples, train_fraction=0.8, seed=0):
    """A random split of range(num_examples): the first round(fraction * N) go to train.

    Args:
        num_examples: int > 1.
        train_fraction: float in (0, 1).
        seed: int seed of the permutation.

    Returns:
        (train_indices, test_indices), sorted int64 arrays that partition the range.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(
            f"Expected 0 < train_fraction < 1. Received: train_fraction={train_fraction}")
    if num_examples < 2:
        raise ValueError(f"Expected num_examples >= 2. Received: num_examples={num_examples}")
    permutation = np.random.default_rng(seed).permutation(num_examples)
    num_train = min(max(round(train_fraction * num_examples), 1), num_examples - 1)
    return np.sort(permutation[:num_train]), np.sort(permutation[num_train:])
