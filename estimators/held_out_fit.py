"""The held-out machinery of `MINE.fit_estimate`: epochs of whole batches served to one
Keras `fit` call per restart, and the callback that scores the held-out halves, keeps
each half's best critic and stops.

Example:
    >>> from infodl.estimators.held_out_fit import epoch_index
    >>> s, rng = np.zeros((10, 3), "float32"), np.random.default_rng(0)
    >>> index = epoch_index(np.arange(10), 4, s, None, rng)
    >>> len(index) % 4, sorted(set(index.tolist())) == list(range(10))
    (0, True)

    Usage in `mine_fit.fit_once` (a MINE, its held-out halves and training pairs):

        monitor = HeldOutMonitor(mine, halves, steps=4000, eval_every=200, patience=5,
                                 min_steps=2000, verbose=0, seed=0, min_delta=0.005)
        batches = restart_batches(s, t, train_index, 512, rng, 4000, steps_multiple=10)
        mine.fit(batches, epochs=1, shuffle=False, callbacks=[monitor])

Reference: Belghazi et al. 2018 (MINE), section 3.2 (estimate on held-out samples);
Chernozhukov et al. 2018 (cross-fitting: select on one half, report on the other).
"""

import keras
import numpy as np

from infodl.seeds import derive_seed

# Marginal pairs per held-out sample in the evaluations that pick the critic.
SELECTION_SHUFFLES = 8
# One Keras epoch repeats small training sets up to about this many steps or bytes
# (each epoch has a fixed cost).
EPOCH_STEPS = 500
EPOCH_BYTES = 64 * 2**20
# Under TensorFlow a restart's batches are gathered in a `tf.data` pipeline from one
# copy of s and t up to this size (`restart_batches`), else served by a PyDataset.
TF_DATA_BYTES = 512 * 2**20


class HeldOutMonitor(keras.callbacks.Callback):
    """Counts steps, scores both held-out halves, keeps each half's best critic, stops.

    Every `eval_every` steps every critic of the estimator is scored on each half h
    with fixed marginal pairs (`SELECTION_SHUFFLES` per sample); each half keeps
    its best (critic, step, weights). The curve is

        curve(step) = 1/2 sum_h max_critic bound_h(critic at step),

    and training stops at `steps`, or after `min_steps` once the curve has not
    gained more than `min_delta` nats over its last counted best for `patience`
    evaluations (a smaller gain is held-out noise and does not count, though each
    half still keeps its highest-scoring critic).

    Args:
        estimator: the `MINE` being fitted (its `critics`, `estimate_each_critic`).
        halves: ((s_A, t_A), (s_B, t_B)) held-out pairs.
        steps, eval_every, patience, min_steps: integers, as in `fit_estimate`.
        verbose: 1 shows a `keras.utils.Progbar`.
        seed: fixes the marginal pairs of the evaluations.
        min_delta: the least gain of the curve (nats) that counts as a new best.

    Returns:
        A Keras callback; afterwards `curve`, `step`, `best_step`, `best_critic`,
        `done`, `stopped_early` (the patience rule fired), and `restore(half)` puts
        back the critics picked on that half.

    Example:
        >>> from infodl.estimators import MINE
        >>> from infodl.estimators.held_out_fit import HeldOutMonitor
        >>> s = np.random.default_rng(0).normal(size=(40, 1)).astype("float32")
        >>> mine = MINE(hidden_units=(4,), seed=0)
        >>> halves = ((s[:20], s[:20] + 1), (s[20:], s[20:] + 1))
        >>> monitor = HeldOutMonitor(mine, halves, 20, 10, 2, 10, 0, seed=0)
        >>> mine.compile(optimizer="adam")
        >>> _ = mine.fit(s, s + 1, batch_size=10, epochs=5, verbose=0, callbacks=[monitor])
        >>> monitor.step, [step for step, _ in monitor.curve], monitor.done
        (20, [10, 20], True)

    Reference: Belghazi et al. 2018 (MINE), section 3.2.
    """

    def __init__(self, estimator, halves, steps, eval_every, patience, min_steps, verbose,
                 seed, min_delta=0.0):
        super().__init__()
        self.estimator, self.halves = estimator, halves
        self.steps, self.eval_every, self.patience = steps, eval_every, patience
        self.min_steps, self.seed, self.min_delta = min_steps, seed, min_delta
        self.progress = keras.utils.Progbar(steps, verbose=verbose,
                                            stateful_metrics=["mi_nats", "val_mi_nats"])
        self.step, self.curve, self.evaluations_without_gain = 0, [], 0
        self.epoch_start = 0
        self.done = self.stopped_early = False
        weights = self._weights()
        self.best_weights, self.best_step, self.best_critic = [weights, weights], [0, 0], [0, 0]
        self.best_values, self.best_mean = [-np.inf, -np.inf], -np.inf

    def _weights(self):
        return [critic.get_weights() for critic in self.estimator.critics]

    def restore(self, half):
        """Puts back the critic weights and the choice of critic picked on `half`."""
        for critic, weights in zip(self.estimator.critics, self.best_weights[half], strict=True):
            critic.set_weights(weights)
        self.estimator.selected_critic.assign(float(self.best_critic[half]))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = self.step

    def on_train_batch_end(self, batch, logs=None):
        # Keras calls this once per compiled call of `steps_per_execution` steps, with
        # the index of the call's last batch (not capped at the end of the epoch).
        epoch_steps = (self.params or {}).get("steps") or batch + 1
        previous, self.step = self.step, self.epoch_start + min(batch + 1, epoch_steps)
        if self.step // self.eval_every == previous // self.eval_every and self.step < self.steps:
            return
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:  # JAX keeps the weights out of the variables mid-epoch
            sync()
        best_now = []
        for index, pairs in enumerate(self.halves):
            values = self.estimator.estimate_each_critic(
                *pairs, num_shuffles=SELECTION_SHUFFLES,
                seed=derive_seed(self.seed, "critic_selection", index))
            choice = int(np.argmax(values))
            best_now.append(values[choice])
            if values[choice] > self.best_values[index]:
                self.best_values[index], self.best_step[index] = values[choice], self.step
                self.best_critic[index], self.best_weights[index] = choice, self._weights()
        mean = float(np.mean(best_now))
        self.curve.append((self.step, mean))
        if mean > self.best_mean + self.min_delta:
            self.best_mean, self.evaluations_without_gain = mean, 0
        else:
            self.evaluations_without_gain += 1
        shown = [("val_mi_nats", mean)]
        if logs and "mi_nats" in logs:
            shown.insert(0, ("mi_nats", float(logs["mi_nats"])))
        self.progress.update(self.step, shown)
        self.stopped_early = (self.step >= self.min_steps
                              and self.evaluations_without_gain >= self.patience)
        if self.step >= self.steps or self.stopped_early:
            self.done = self.model.stop_training = True


class TrainingBatches(keras.utils.PyDataset):
    """The training batches of one restart, served to a single Keras `fit` call.

    Batch b of the restart is batch b mod E of epoch b div E, where each epoch's
    rows are `epoch_index(...)` (E batches each), drawn from `rng` epoch after epoch
    as training reaches them: the same batches, in the same order, as one `fit` call
    per epoch on those rows, without the fixed cost of a `fit` call per epoch (its
    data adapter and iterator: up to 4.5 s seen after a call's last callback,
    docs/estimators.md "Speed").

    Args:
        s, t: the sample arrays (t may be None: AA-MINE draws it).
        train_index: indices of the training pairs.
        batch_size: pairs per step.
        rng: a NumPy generator (the restart's), drawn from in epoch order.
        num_batches: batches of the restart (its steps).
        steps_multiple: as in `epoch_index`.

    Returns:
        A `keras.utils.PyDataset` of `num_batches` batches (s, t) (or (s,)).

    Example:
        >>> from infodl.estimators.held_out_fit import TrainingBatches, epoch_index
        >>> s = np.arange(10, dtype="float32")[:, None]
        >>> batches = TrainingBatches(s, None, np.arange(10), 4, np.random.default_rng(0), 300)
        >>> rows = epoch_index(np.arange(10), 4, s, None, np.random.default_rng(0))
        >>> len(batches), batches[1][0].ravel().tolist() == s[rows[4:8]].ravel().tolist()
        (300, True)
    """

    def __init__(self, s, t, train_index, batch_size, rng, num_batches, steps_multiple=1):
        super().__init__()  # one worker, in this process: batches are drawn in order
        self.s, self.t, self.batch_size, self.num_batches_total = s, t, batch_size, num_batches
        self._draw = lambda: epoch_index(train_index, batch_size, s, t, rng, steps_multiple)
        self.epochs = {0: self._draw()}
        self.epoch_batches = len(self.epochs[0]) // batch_size

    def __len__(self):
        return self.num_batches_total

    def __getitem__(self, index):
        epoch, batch = divmod(int(index), self.epoch_batches)
        while max(self.epochs) < epoch:
            self.epochs[max(self.epochs) + 1] = self._draw()
            for old in [e for e in self.epochs if e < max(self.epochs) - 1]:
                del self.epochs[old]  # keep the last two epochs' rows
        if epoch not in self.epochs:
            raise IndexError(f"Expected batches in order. Received: index={index}")
        rows = self.epochs[epoch][batch * self.batch_size:(batch + 1) * self.batch_size]
        return (self.s[rows],) if self.t is None else (self.s[rows], self.t[rows])


def restart_batches(s, t, train_index, batch_size, rng, num_batches, steps_multiple=1):
    """The training batches of one restart, for one Keras `fit` call.

    Under TensorFlow (a named TF place), when s and t fit in TF_DATA_BYTES: a
    `tf.data.Dataset` whose element b gathers row batch b of the epochs
    `epoch_index(...)` draws from `rng` in turn (every epoch the restart can reach is
    drawn up front: a few MB of indices), from one copy of s and t; elsewhere the
    same batches as a `TrainingBatches` (a `keras.utils.PyDataset`). Side by side at
    d = 5 and 25, N = 10 000, the default step took 7.1 / 6.6 ms with the dataset,
    9.1 / 8.5 ms with the PyDataset (a Python call per batch) and 14.6 / 8.9 ms with
    a `fit` call per 520-step epoch on NumPy arrays (docs/estimators.md, "Speed").

    Args:
        s, t, train_index, batch_size, rng, num_batches, steps_multiple: as in
            `TrainingBatches`.

    Returns:
        A `tf.data.Dataset` or a `TrainingBatches` of `num_batches` batches (s, t)
        (or (s,) where t is None), the same rows either way.

    Example:
        >>> from infodl.estimators.held_out_fit import restart_batches
        >>> s = np.arange(10, dtype="float32")[:, None]
        >>> batches = restart_batches(s, s + 1, np.arange(10), 4, np.random.default_rng(0), 6)
        >>> [float(first[0, 0]) + 1 == float(second[0, 0]) for first, second in batches][:2]
        [True, True]
    """
    arrays = (s,) if t is None else (s, t)
    if (keras.backend.backend() != "tensorflow"
            or sum(array.nbytes for array in arrays) > TF_DATA_BYTES):
        return TrainingBatches(s, t, train_index, batch_size, rng, num_batches,
                               steps_multiple)
    import tensorflow as tf

    rows, drawn = [], 0
    while drawn < num_batches * batch_size:
        rows.append(epoch_index(train_index, batch_size, s, t, rng, steps_multiple))
        drawn += len(rows[-1])
    rows = np.concatenate(rows)[:num_batches * batch_size].reshape(num_batches, batch_size)
    tensors = tuple(tf.constant(array) for array in arrays)
    return tf.data.Dataset.from_tensor_slices(rows.astype("int64")).map(
        lambda index: tuple(tf.gather(tensor, index) for tensor in tensors)).prefetch(2)


def epoch_index(train_index, batch_size, s, t, rng, steps_multiple=1, epoch_steps=EPOCH_STEPS):
    """The training rows of one Keras epoch: whole batches, and several passes when cheap.

    Args:
        train_index: indices of the training pairs.
        batch_size: pairs per step.
        s, t: the sample arrays (for the bytes per row; t may be None).
        rng: a NumPy generator.
        steps_multiple: the epoch's steps are a multiple of this (the model's
            `steps_per_execution`: no compiled call crosses the end of an epoch).
        epoch_steps: about this many steps per epoch for small sets (EPOCH_STEPS).

    Returns:
        int array: the rows of one epoch (a multiple of `batch_size` long).

    The set is padded with a few random repeats to whole batches, so every step has
    the same shape (no retracing for a short last batch). A Keras epoch costs a fixed
    overhead (about 50 ms with TensorFlow), so small sets are repeated (each pass in
    its own order) up to about EPOCH_STEPS steps or EPOCH_BYTES bytes per epoch.
    """
    padding = -len(train_index) % batch_size
    train_index = np.concatenate([train_index, rng.choice(train_index, padding, False)])
    row_bytes = s[:1].nbytes + (0 if t is None else t[:1].nbytes)
    passes = min(-(-epoch_steps * batch_size // len(train_index)),
                 EPOCH_BYTES // max(1, row_bytes * len(train_index)))
    rows = np.concatenate([train_index] + [rng.permutation(train_index)
                                           for _ in range(max(1, passes) - 1)])
    missing = -(len(rows) // batch_size) % steps_multiple * batch_size
    while missing:  # whole compiled calls: a few more rows, each pass in its own order
        extra = rng.permutation(train_index)[:missing]
        rows, missing = np.concatenate([rows, extra]), missing - len(extra)
    return rows
