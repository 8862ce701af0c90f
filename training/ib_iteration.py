"""One compiled graph for a stretch of IB iterations: k critic steps, then one network step.

An iteration of P3's alternating scheme is

    repeat k times:  draw (x_J, y_J), x_M; L_J = F(x_J), L_M = F(x_M); eps_J, eps_M
                     one Adam step of D_y and D_x (`IBCritics.critic_step`)
    once:            draw a fresh batch; one Adam step of the network variables on
                     loss = alpha * CE(y_J, L_J) - label_weight * I(Y; L)
                            + input_weight * I(X; L + eps)

Layer-wise training (P3 eq. 7) uses alpha = 0, label_weight = 1, input_weight = beta and
F = the block being trained applied to the cached output of the frozen layers below it;
end-to-end training (P3 eq. 8, appendix B) uses the whole network, F = logits. A whole
stretch of iterations (`run(n)`) and of critic-only steps (`pretrain(n)`) each run in one
`tf.function` call with `tf.range` loops: one trace per layer, no Python per step. Batches
are drawn with replacement by a `tf.random.Generator` whose state is checkpointed.
SIGINT/SIGTERM (`infodl.stop_signals`) end a stretch after the current iteration (or
critic step): `completed` then holds how many ran.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from infodl import checks, stop_signals
from infodl.seeds import derive_seed
from infodl.training.ib_blocks import flatten_features
from infodl.training.ib_settings import DEFAULT_LOSS_WEIGHTS, IB_DEFAULTS

# Columns of `gradient_norms()`: the weighted terms of the network loss.
GRADIENT_TERMS = ("cross_entropy", "label", "input")


class IBIterationLoop:
    """Compiled IB iterations of one set of network variables and its critics.

    Args:
        features_fn: `f(inputs, training) -> representation` (any rank; flattened here).
        network_variables: the variables the network step trains.
        critics: an `IBCritics`, or None for plain cross-entropy (then k is ignored).
        inputs: (N, ...) float32 array of the inputs of `features_fn`.
        labels: (N,) integer class labels.
        num_classes: number of classes.
        settings: an `IBTrainerSettings`; the loop reads batch_size, critic_steps (k),
            learning_rate (Adam, the network step) and, for `pretrain`,
            pretrain_batch_size (pairs per step of D_x), pretrain_label_batch_size
            (of D_y; both critics train on the first rows of one draw of the larger
            size) and critic_pretrain_average (0, or the decay per step of an
            exponential moving average of the critics' weights that `pretrain` keeps,
            `IBCritics.update_average`).
        weights: the `IBLossWeights` (alpha, the weight of -I(Y; L) and of
            I(X; L + eps)) of the network loss.
        seed: seed of the batch and noise generator.
        jit_compile: compile the graphs with XLA (slower than TensorFlow's own kernels
            for these steps on CPU, measured).
        share_features: compute F of every example once per iteration for the k critic
            steps (None = when N <= 2 * batch_size * k, i.e. when it is cheaper). F
            must then be deterministic (no dropout) for the values to be the same.

    Example:
        >>> import tensorflow as tf
        >>> from infodl.training.ib_critics import IBCritics
        >>> from infodl.training.ib_iteration import IBIterationLoop
        >>> from infodl.training.ib_settings import IBLossWeights, IBTrainerSettings
        >>> x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
        >>> labels = (x[:, 0] > 0).astype(int)
        >>> block = keras.layers.Dense(2)  # the layer being trained
        >>> block.build((None, 3))
        >>> settings = IBTrainerSettings(batch_size=16, critic_steps=2,
        ...                              critic_hidden_units=(16,))
        >>> critics = IBCritics(2, 2, settings, seed=0)
        >>> loop = IBIterationLoop(block, block.trainable_variables, critics, x, labels, 2,
        ...                        settings, IBLossWeights(label=1.0, input=1e-3))
        >>> _ = loop.pretrain(tf.constant(4))  # doctest: +SLOW
        >>> means = loop.run(tf.constant(2))  # doctest: +SLOW
        >>> means.shape  # doctest: +SLOW
        TensorShape([6])

    Reference: P3 (Elad et al.) §5 eq. 7, appendix B eq. 8 and appendix C.
    """

    def __init__(self, features_fn, network_variables, critics, inputs, labels, num_classes,
                 settings=IB_DEFAULTS, weights=DEFAULT_LOSS_WEIGHTS, seed=0, jit_compile=False,
                 share_features=None):
        self.features_fn = features_fn
        self.network_variables = list(network_variables)
        self.critics = critics
        self.num_classes = checks.check_integer(num_classes, "num_classes", minimum=2)
        self.settings, self.weights = settings, weights
        self.batch_size = settings.batch_size
        self.pretrain_batch_size = settings.pretrain_batch_size
        self.pretrain_label_batch_size = settings.pretrain_label_batch_size
        self.pretrain_average_decay = settings.critic_pretrain_average
        if critics is None and weights.uses_critics:
            raise ValueError("Expected critics for label_weight > 0 or input_weight > 0. "
                             "Received: critics=None")
        if critics is not None and self.pretrain_average_decay:
            critics.start_average()  # its variables exist before `pretrain` is traced
        inputs = np.asarray(inputs, "float32")
        self.num_examples = len(inputs)
        self.inputs = tf.Variable(inputs, trainable=False, name="inputs")
        self.labels = tf.Variable(np.asarray(labels, "int64"), trainable=False, name="labels")
        # Batches are drawn from the first `pool_size` examples (critic pretraining keeps
        # the last ones back for its held-out estimate).
        self.pool_size = tf.Variable(self.num_examples, dtype=tf.int64, trainable=False)
        # The k critic steps of an iteration see one fixed network: when they would pass
        # more inputs through F than there are examples, F of every example is computed
        # once per iteration and the batches are drawn from it (same values, less work).
        self.share_features = (share_features if share_features is not None
                               else self.num_examples
                               <= 2 * self.batch_size * settings.critic_steps)
        self.generator = tf.random.Generator.from_seed(seed)
        self.probe_seed = derive_seed(seed, "ib_gradient_probe")
        self.optimizer = keras.optimizers.Adam(settings.learning_rate)
        self.optimizer.build(self.network_variables)
        # Set by a stop request (from the signal watcher thread, even mid-stretch); the
        # stretches end after the current iteration and `completed` says how many ran.
        self.stop_flag = tf.Variable(False, trainable=False, name="stop_requested")
        self.completed = tf.Variable(0, dtype=tf.int32, trainable=False, name="completed")
        stop_signals.on_request(self.request_stop)
        self.run = tf.function(self._run, jit_compile=jit_compile, reduce_retracing=True)
        self._probe_norms = tf.function(self._gradient_norms, reduce_retracing=True)
        self.pretrain = tf.function(self._pretrain, jit_compile=jit_compile,
                                    reduce_retracing=True)

    def request_stop(self):
        """Ends the running stretch after its current iteration (thread-safe)."""
        self.stop_flag.assign(True)

    def trackables(self):
        """The objects a checkpoint must hold to resume the loop exactly."""
        found = {"network_optimizer": self.optimizer, "generator": self.generator}
        if self.critics is not None:
            found.update(self.critics.trackables())
        return found

    # --- one step ---------------------------------------------------------------------
    def _batch(self, table=None, size=None):
        """(joint rows, marginal rows, labels) of a batch of `size` (default batch_size)
        drawn from `table` (or the inputs)."""
        indices = self.generator.uniform([2, size or self.batch_size], 0, self.pool_size,
                                         dtype=tf.int64)
        table = self.inputs if table is None else table
        return (tf.gather(table, indices[0]), tf.gather(table, indices[1]),
                tf.gather(self.labels, indices[0]))

    def _noise(self, features):
        return self.generator.normal(tf.shape(features)) * self.critics.noise_std

    def _features(self, inputs):
        return flatten_features(self.features_fn(inputs, training=True))

    def all_features(self):
        """F(x) of every example (the critic steps between two network steps share them)."""
        return self._features(self.inputs)

    def critic_step(self, feature_table=None, size=None, label_rows=None, input_rows=None):
        """One step of both critics on a fresh batch of `size` (default batch_size);
        (I_y, I_x) in nats.

        With `feature_table` (F of every example, see `all_features`) the batch is drawn
        from it instead of passing the drawn inputs through F. `label_rows` /
        `input_rows`: D_y / D_x train on the first rows of the batch only.
        """
        if feature_table is None:
            joint, marginal, labels = self._batch(size=size)
            features, marginal_features = self._features(joint), self._features(marginal)
        else:
            features, marginal_features, labels = self._batch(feature_table, size)
        return self.critics.critic_step(
            ops.one_hot(labels, self.num_classes), features, marginal_features,
            self._noise(features), self._noise(marginal_features), label_rows, input_rows)

    def network_loss(self, labels, features, marginal_features, noise, marginal_noise):
        """(loss, CE, I_y, I_x) of one batch; the loss is minimized by the network step."""
        zero = tf.constant(0.0)
        cross_entropy, i_y, i_x = zero, zero, zero
        if self.critics is not None:
            i_y, i_x = self.critics.bounds(ops.one_hot(labels, self.num_classes), features,
                                           marginal_features, noise, marginal_noise)
        if self.weights.ce:
            cross_entropy = ops.mean(keras.losses.sparse_categorical_crossentropy(
                labels, features, from_logits=True))
        loss = self.weights.ce * cross_entropy - self.weights.label * i_y \
            + self.weights.input * i_x
        return loss, cross_entropy, i_y, i_x

    def network_step(self):
        """One Adam step of the network variables; (loss, CE, I_y, I_x)."""
        joint, marginal, labels = self._batch()
        with tf.GradientTape() as tape:
            features = self._features(joint)
            if self.critics is None:
                marginal_features, noise, marginal_noise = None, None, None
            else:
                marginal_features = self._features(marginal)
                noise, marginal_noise = self._noise(features), self._noise(marginal_features)
            terms = self.network_loss(labels, features, marginal_features, noise,
                                      marginal_noise)
        gradients = tape.gradient(terms[0], self.network_variables)
        self.optimizer.apply(gradients, self.network_variables)
        return terms

    # --- diagnostics ------------------------------------------------------------------
    def probe_batch(self):
        """The fixed batch of `gradient_norms`: (joint inputs, marginal inputs, labels).

        The first `batch_size` examples of the pool, their marginal partners the same
        examples shifted by one; no draw from the training generator, so measuring does
        not change the run, and a resumed run measures on the same batch.
        """
        size = int(min(self.batch_size, self.num_examples))
        joint = tf.range(size)
        marginal = tf.roll(joint, shift=1, axis=0)
        return (tf.gather(self.inputs, joint), tf.gather(self.inputs, marginal),
                tf.gather(self.labels, joint))

    def probe_noise(self, features):
        """The fixed (joint, marginal) noise eps of the probe batch (stateless, seeded)."""
        if self.critics is None:
            return None, None
        shape = tf.shape(features)
        return tuple(tf.random.stateless_normal(shape, seed=[self.probe_seed, k])
                     * self.critics.noise_std for k in (0, 1))

    def gradient_norms(self):
        """Norms of the gradients of the weighted loss terms on the probe batch.

        With the network in inference mode (no dropout draws) and the critics as they
        are, returns the global norms over the network variables of

            (alpha * grad CE,  label_weight * grad I(Y; L),  input_weight * grad I(X; L + eps))

        so that layer-wise `input / label` is P3's beta * |grad I_x| / |grad I_y| and
        end-to-end each MI term can be set against the cross-entropy.

        Returns:
            float64 array of 3 values (`GRADIENT_TERMS`).
        """
        return np.asarray(self._probe_norms(), "float64")

    def _gradient_norms(self):
        joint, marginal, labels = self.probe_batch()
        with tf.GradientTape(persistent=True) as tape:
            features = flatten_features(self.features_fn(joint, training=False))
            marginal_features = None
            if self.critics is not None:
                marginal_features = flatten_features(self.features_fn(marginal, training=False))
            noise, marginal_noise = self.probe_noise(features)
            _, cross_entropy, i_y, i_x = self.network_loss(
                labels, features, marginal_features, noise, marginal_noise)
            terms = (self.weights.ce * cross_entropy, self.weights.label * i_y,
                     self.weights.input * i_x)
        norms = []
        for term in terms:  # a term the variables do not reach (weight 0) has norm 0
            gradients = [g for g in tape.gradient(term, self.network_variables)
                         if g is not None]
            norms.append(tf.linalg.global_norm(gradients) if gradients else tf.constant(0.0))
        del tape
        return tf.stack(norms)

    # --- compiled stretches -------------------------------------------------------------
    def _run(self, num_iterations):
        """`num_iterations` IB iterations; the means of (loss, CE, I_y, I_x, critic I_y,
        critic I_x) over them (nats)."""
        totals, done = tf.zeros(6), tf.constant(0)
        for _ in tf.range(num_iterations):
            if self.stop_flag:
                break
            critic_values = tf.zeros(2)
            if self.critics is not None:
                table = self.all_features() if self.share_features else None
                for _ in tf.range(self.settings.critic_steps):
                    critic_values = tf.stack(self.critic_step(table))
            step = tf.stack(self.network_step())
            totals += tf.concat([step, critic_values], axis=0)
            done += 1
        self.completed.assign(done)
        return totals / tf.cast(tf.maximum(done, 1), tf.float32)

    def _pretrain(self, num_steps):
        """`num_steps` critic steps alone (each followed by the update of the averaged
        weights, if kept); the mean (I_y, I_x) over them (nats)."""
        totals, done = tf.zeros(2), tf.constant(0)
        table = self.all_features() if self.share_features else None
        size = max(self.pretrain_batch_size, self.pretrain_label_batch_size)
        label_rows = self.pretrain_label_batch_size if self.pretrain_label_batch_size < size \
            else None
        input_rows = self.pretrain_batch_size if self.pretrain_batch_size < size else None
        for _ in tf.range(num_steps):
            if self.stop_flag:
                break
            totals += tf.stack(self.critic_step(table, size, label_rows, input_rows))
            if self.pretrain_average_decay:
                self.critics.update_average(self.pretrain_average_decay)
            done += 1
        self.completed.assign(done)
        return totals / tf.cast(tf.maximum(done, 1), tf.float32)
