"""The `fit()` calls that continue a run from any step on its evaluation grid.

Keras' `fit()` counts epochs, and the experiments evaluate and checkpoint at the end of
each (an "epoch" of `eval_every` steps). A run stopped by a signal between two
evaluations saves a checkpoint at that step; resumed, it first trains to the next
evaluation step in a short `fit()` call of its own, then on the usual grid, so its
evaluations and checkpoints fall on the steps of the uninterrupted run. Used by the
ResNet and InvNet experiments.
"""

import math


def fit_segments(start_step, train_steps, eval_every):
    """The `fit()` calls from `start_step`: [(steps_per_epoch, initial_epoch, epochs)].

    Args:
        start_step: the global step the run continues from (0 for a new run).
        train_steps: the last step of the run.
        eval_every: steps between evaluations (the `fit()` epoch).

    Returns:
        A list of (steps_per_epoch, initial_epoch, epochs) triples, one per `fit()` call,
        empty when the run is complete.

    Example:
        >>> from infodl.experiments.fit_segments import fit_segments
        >>> fit_segments(0, 100, 25)  # a new run: one call on the grid
        [(25, 0, 4)]
        >>> fit_segments(30, 100, 25)  # stopped at step 30: 20 steps to 50, then the grid
        [(20, 0, 1), (25, 2, 4)]
    """
    segments = []
    offset = start_step % eval_every
    if offset and start_step < train_steps:
        segments.append((eval_every - offset, 0, 1))
        start_step += eval_every - offset
    if start_step < train_steps:
        segments.append((eval_every, start_step // eval_every,
                         math.ceil(train_steps / eval_every)))
    return segments
