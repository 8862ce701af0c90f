"""A Keras model whose training step alternates an autoencoder update and a classifier update.

This is the one TensorFlow-specific part of InvNet (P2 §4.2): a functional model with
outputs {"logits", "reconstruction"} (built by `infodl.models.invnet.build_invnet`) whose
`train_step` makes two gradient steps per batch with two optimizers. Everything else
is plain `fit()`: callbacks (`ProximalL1`, `TrainingScalars`, `ClassifierStatsLogger`,
`StepCheckpoint`, ...) see a functional model whose `optimizer` is the classifier's,
whose `optimizer.iterations` counts alternation steps, and whose layers are reachable
by name.
"""

import keras
import tensorflow as tf

from infodl.checks import check_choice
from infodl.choices import RECONSTRUCTION_LOSSES, RECONSTRUCTION_REDUCTIONS
from infodl.models.invnet import LOGITS_LAYER, RECONSTRUCTION_LAYER


def reconstruction_error(images, reconstruction, kind="squared_error", reduction="sum"):
    """Mean over the batch of the per-image reconstruction error, summed over pixels.

        squared_error:        (1/n) Σ_k Σ_p (x_kp − x̂_kp)²
        binary_crossentropy:  (1/n) Σ_k Σ_p −[x_kp log x̂_kp + (1 − x_kp) log(1 − x̂_kp)]

    With `reduction="mean"` the sum over the P pixels becomes their mean (Σ_p → (1/P)
    Σ_p). The sum (the default; P2 leaves it open) keeps the gradient of the 784 outputs
    at the scale of one example's loss: with the per-pixel mean, SGD at lr 0.1 left the
    decoder at the mean image for epochs.
    """
    batch = tf.shape(images)[0]
    images = tf.reshape(tf.cast(images, reconstruction.dtype), (batch, -1))
    reconstruction = tf.reshape(reconstruction, (batch, -1))
    if kind == "squared_error":
        per_image = tf.reduce_sum(tf.square(images - reconstruction), axis=-1)
    else:
        pixels = tf.cast(tf.shape(images)[-1], reconstruction.dtype)
        per_image = pixels * keras.losses.binary_crossentropy(images, reconstruction)
    if check_choice(reduction, "reduction", RECONSTRUCTION_REDUCTIONS) == "mean":
        per_image = per_image / tf.cast(tf.shape(images)[-1], per_image.dtype)
    return tf.reduce_mean(per_image)


@keras.saving.register_keras_serializable(package="infodl")
class AlternatingTrainer(keras.Model):
    """Functional autoencoder + classifier trained by alternating updates (InvNet, P2 §4.2).

    Each training step on a batch (x, y) makes, in this order,

        1. (F, D) ← (F, D) − η_t ∇_{F,D} R(x, D(F(x)))              (autoencoder_optimizer)
        2. (F, w) ← (F, w) − η_t ∇_{F,w} [CE(F(x)·w + b, y) + Ω(w, F, y)]      (optimizer)

    with R the reconstruction error (`reconstruction_error`: squared error or binary
    cross-entropy summed over pixels, averaged over the batch)
    and Ω the losses the logits layer adds (P2's regularizer, `RegularizedLogits`).
    Step 1 leaves w unchanged and step 2 leaves D unchanged. `optimizer` (the
    classifier's) is the model's optimizer: its iteration count is the global step and
    its learning rate is the one `ProximalL1` uses for the ℓ1 step on w.

    Build it like a functional model from inputs `{"image", "label"(optional)}` and
    outputs `{"logits": ..., "reconstruction": ...}`; the reconstruction must have the
    shape of the image. Logs: `loss` (CE + Ω), `cross_entropy`, `accuracy`,
    `reconstruction_loss`. TensorFlow backend only.

    Example:
        >>> from infodl.callbacks import ProximalL1
        >>> from infodl.models.invnet import build_invnet
        >>> from infodl.training.alternating_trainer import AlternatingTrainer
        >>> inputs, outputs = build_invnet(input_shape=(8, 8, 1), hidden_sizes=(16, 8),
        ...                                alpha1=0.002, alpha2=0.002)
        >>> model = AlternatingTrainer(inputs, outputs, name="invnet")
        >>> model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        >>> x = np.random.default_rng(0).uniform(size=(16, 8, 8, 1)).astype("float32")
        >>> history = model.fit(x, np.arange(16) % 10, batch_size=8, epochs=2, verbose=0,
        ...                     callbacks=[ProximalL1()])
        >>> sorted(history.history)
        ['accuracy', 'cross_entropy', 'loss', 'reconstruction_loss']

    Reference: P2 §4.2 ("we update the autoencoder F + D and the InvNet F + w
    alternatively"), appendix E.
    """

    def __init__(self, *args, **kwargs):
        if keras.backend.backend() != "tensorflow":
            raise ValueError("Expected the TensorFlow Keras backend for AlternatingTrainer. "
                             f"Received: {keras.backend.backend()!r}")
        super().__init__(*args, **kwargs)
        outputs, inputs = self.output, self.input
        if (not isinstance(outputs, dict)
                or set(outputs) != {LOGITS_LAYER, RECONSTRUCTION_LAYER}
                or not isinstance(inputs, dict) or "image" not in inputs):
            raise ValueError(
                "Expected a functional model with inputs {'image', 'label'} and outputs "
                f"{{{LOGITS_LAYER!r}, {RECONSTRUCTION_LAYER!r}}}. Received: inputs "
                f"{sorted(inputs) if isinstance(inputs, dict) else inputs}, outputs "
                f"{sorted(outputs) if isinstance(outputs, dict) else outputs}")
        self.autoencoder = keras.Model(inputs["image"], outputs[RECONSTRUCTION_LAYER],
                                       name="autoencoder")
        self.classifier = keras.Model(inputs, outputs[LOGITS_LAYER], name="classifier")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.cross_entropy_tracker = keras.metrics.Mean(name="cross_entropy")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.autoencoder_optimizer = None
        self.reconstruction_loss = "squared_error"
        self.reconstruction_reduction = "sum"

    def compile(self, optimizer="sgd", autoencoder_optimizer=None,
                reconstruction_loss="squared_error", reconstruction_reduction="sum", **kwargs):
        """Sets the two optimizers (and builds them, so checkpoints restore into them).

        Args:
            optimizer: the classifier's optimizer (F + w); the model's `optimizer`.
            autoencoder_optimizer: the autoencoder's (F + D); None = a fresh copy of
                `optimizer` (same class, settings and learning-rate schedule).
            reconstruction_loss: "squared_error" or "binary_crossentropy" (per-image sums).
            reconstruction_reduction: "sum" (over the pixels of an image) or "mean".
            **kwargs: passed to `keras.Model.compile` (losses and metrics are ignored:
                the step computes its own).
        """
        super().compile(optimizer=optimizer, **kwargs)
        self.reconstruction_loss = check_choice(reconstruction_loss, "reconstruction_loss",
                                                RECONSTRUCTION_LOSSES)
        self.reconstruction_reduction = check_choice(
            reconstruction_reduction, "reconstruction_reduction", RECONSTRUCTION_REDUCTIONS)
        if autoencoder_optimizer is None:
            autoencoder_optimizer = self.optimizer.__class__.from_config(
                self.optimizer.get_config())
        self.autoencoder_optimizer = keras.optimizers.get(autoencoder_optimizer)
        if self.autoencoder_optimizer is self.optimizer:
            raise ValueError("Expected two optimizer instances (their iteration counts "
                             "differ). Received: the same for both")
        self.optimizer.build(self.classifier.trainable_variables)
        self.autoencoder_optimizer.build(self.autoencoder.trainable_variables)

    @property
    def metrics(self):
        return [self.loss_tracker, self.cross_entropy_tracker, self.accuracy_tracker,
                self.reconstruction_tracker]

    def _classifier_objective(self, logits, labels, losses):
        cross_entropy = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            labels, logits, from_logits=True))
        total = cross_entropy + tf.add_n([tf.constant(0.0)] + [
            tf.cast(term, tf.float32) for term in losses])
        return cross_entropy, total

    def _update_metrics(self, total, cross_entropy, labels, logits, reconstruction_loss):
        self.loss_tracker.update_state(total)
        self.cross_entropy_tracker.update_state(cross_entropy)
        self.accuracy_tracker.update_state(labels, logits)
        self.reconstruction_tracker.update_state(reconstruction_loss)
        return {metric.name: metric.result() for metric in self.metrics}

    @staticmethod
    def _unpack(data):
        inputs, labels = data[0], data[1]
        images = inputs["image"] if isinstance(inputs, dict) else inputs
        return images, tf.reshape(tf.cast(labels, tf.int32), (-1,))

    def train_step(self, data):
        images, labels = self._unpack(data)
        variables = self.autoencoder.trainable_variables
        with tf.GradientTape() as tape:
            reconstruction = self.autoencoder(images, training=True)
            reconstruction_loss = reconstruction_error(images, reconstruction,
                                                       self.reconstruction_loss,
                                                       self.reconstruction_reduction)
        self.autoencoder_optimizer.apply(tape.gradient(reconstruction_loss, variables),
                                         variables)
        variables = self.classifier.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.classifier({"image": images, "label": labels}, training=True)
            cross_entropy, total = self._classifier_objective(logits, labels,
                                                              self.classifier.losses)
        self.optimizer.apply(tape.gradient(total, variables), variables)
        return self._update_metrics(total, cross_entropy, labels, logits, reconstruction_loss)

    def test_step(self, data):
        images, labels = self._unpack(data)
        outputs = self({"image": images, "label": labels}, training=False)
        reconstruction_loss = reconstruction_error(
            images, outputs[RECONSTRUCTION_LAYER], self.reconstruction_loss,
            self.reconstruction_reduction)
        cross_entropy, total = self._classifier_objective(outputs[LOGITS_LAYER], labels,
                                                          self.losses)
        return self._update_metrics(total, cross_entropy, labels, outputs[LOGITS_LAYER],
                                    reconstruction_loss)
