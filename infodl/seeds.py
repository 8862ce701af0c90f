"""Child seeds derived from the run seed and a named purpose, never by hand-picked offsets.

`derive_seed(seed, purpose, *index)` hashes the run seed, the purpose's name and the
indices through NumPy's `SeedSequence` (the same mixing `SeedSequence.spawn` uses), so
two purposes, or two indices of one purpose, get unrelated streams; a hand-picked
offset (adding 100 to the seed) collides as soon as another offset plus an index reaches it.

Every purpose used by the library is listed in `SEED_PURPOSES`; an unknown name is an
error, so a typo cannot silently share a stream, and `tests/test_seeds.py` checks that
all purposes and indices a run uses give distinct seeds.

Example:
    >>> from infodl.seeds import derive_seed
    >>> derive_seed(0, "critic_kernel", 1) != derive_seed(0, "critic_kernel", 2)
    True
    >>> derive_seed(None, "critic_kernel", 1) is None
    True
"""

import zlib

import numpy as np

# purpose -> what draws from it. Indices (layer, restart, step, ...) follow the name.
SEED_PURPOSES = {
    # models
    "dense_kernel": "kernel initializer of dense layer k of the MLP / IB nets",
    "conv_kernel": "kernel initializer of conv layer k of the conv nets",
    "dense_dropout": "dropout after dense layer k of the IB nets",
    "conv_dropout": "dropout after max-pool k of the conv nets",
    # estimators
    "critic_kernel": "kernel initializer of hidden or output layer k of a critic",
    "separable_second_encoder": "the second encoder of a separable critic",
    "companion_critic": "MINE's quadratic companion critic",
    "critic_selection": "the shuffles that pick the critic on held-out pairs (index: half)",
    "mine_restart": "restart r of MINE.fit_estimate (its split, critic and batches)",
    # IB training (P3); index: the layer (layer-wise) or 0 (end-to-end)
    "ib_layer_critics": "the critics D_x, D_y trained with layer i",
    "ib_label_critic": "the critic D_y of I(Y; L) (child of ib_layer_critics)",
    "ib_input_critic": "the critic D_x of I(X; L + eps) (child of ib_layer_critics)",
    "ib_iterations": "the batches and noise of layer i's training iterations",
    "ib_heldout": "the fixed noise and pairings of layer i's held-out estimates",
    "ib_pretraining": "critic pretraining before layer i is trained",
    "ib_gradient_probe": "the fixed noise of the gradient-ratio probe batch of a loop",
    "ib_error_bars": "the independent fits of layer i at iteration k (indices i, k)",
    "ib_error_bar_label": "restart r of the error bars' MINE fit of I(Y; L)",
    "ib_error_bar_input": "restart r of the error bars' AA-MINE fit of I(X; L + eps)",
    "compression_null": "docs/compression.md's null: 0 the bootstrap resamples, 1 the draws",
}

_SEED_BITS = 31  # Keras and TensorFlow accept seeds in [0, 2**31)


def derive_seed(seed, purpose, *index):
    """The seed of stream `purpose` (with optional integer indices) of run `seed`.

    Args:
        seed: the run's seed (a non-negative int), or None for unseeded (then None).
        purpose: a name from `SEED_PURPOSES`.
        *index: non-negative ints that tell apart streams of one purpose (a layer,
            a restart, a step).

    Returns:
        An int in [0, 2**31), or None when `seed` is None.

    Raises:
        ValueError: an unknown purpose, or a negative seed or index.

    Example:
        >>> from infodl.seeds import derive_seed
        >>> derive_seed(0, "mine_restart", 3)  # the same on every machine
        1884134575
        >>> derive_seed(0, "mine_restart", 3) == derive_seed(1, "mine_restart", 3)
        False
    """
    if purpose not in SEED_PURPOSES:
        raise ValueError(f"Expected purpose to be one of {sorted(SEED_PURPOSES)}. "
                         f"Received: purpose={purpose!r}")
    if seed is None:
        return None
    values = (int(seed), *(int(i) for i in index))
    if min(values) < 0:
        raise ValueError(f"Expected seed and indices >= 0. Received: seed={seed}, "
                         f"index={index}")
    key = (zlib.crc32(purpose.encode()), *values[1:])
    state = np.random.SeedSequence(values[0], spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(64 - _SEED_BITS))
