"""The logits layer with the information regularizer of P2 (eq. 5-7)."""

import threading

import keras
from keras import ops

from infodl.checks import check_choice, check_integer, check_non_negative
from infodl.choices import L1_METHODS, REGULARIZERS
from infodl.models.initializers import dense_initializer
from infodl.paper_constants import L1_EVERY


@keras.saving.register_keras_serializable(package="infodl")
class RegularizedLogits(keras.layers.Layer):
    """Dense logits layer z = F(x)·w + b that regularizes its own classifier w.

    With `regularizer="info"` the terms added to the loss of a batch of n examples are

        α1 · ||w||_1  +  α2 · (1/n) Σ_k ||w_{y_k}||_2 · ||F(x_k)||_2

    where w_{y_k} is the column of the example's label only. `regularizer="naive"` is the
    first row of P2 Table 1: α1 · ||w||_1 + α2 · ||w||_F (whole matrix, no F(x) term);
    `"none"` adds nothing. The α1 term is applied either as a sub-gradient penalty in the
    loss (`l1_method="subgradient"`) or, as in P2 appendix E, by a proximal
    soft-threshold step every `l1_every` iterations (`l1_method="proximal"`, the
    default; `infodl.callbacks.ProximalL1` calls `apply_proximal_l1`), which produces
    exact zeros.

    The regularizer acts only on calls that receive `labels` (training and evaluation);
    without labels the layer is a plain dense layer (inference). The value of each term
    on the last training batch is kept in a non-trainable weight (`last_terms()`), which
    `infodl.callbacks.TrainingScalars` writes as `regularizer/alpha1_term` and
    `regularizer/alpha2_term` (a weight, not a metric, so that it works under every
    Keras backend: JAX's stateless training does not update metrics inside layers).

    Args:
        units: number of classes.
        regularizer: "info", "naive" or "none".
        alpha1: ℓ1 coefficient (>= 0).
        alpha2: coefficient of the information term (>= 0).
        l1_method: "proximal" or "subgradient".
        l1_every: proximal step interval in iterations (>= 1).
        weight_decay: L2 coefficient of the original code on w, wd · Σw²/2.

    Returns:
        Logits of shape (batch, units).

    Example:
        >>> from infodl.models.regularized_logits import RegularizedLogits
        >>> layer = RegularizedLogits(2, alpha2=0.5, name="logits")
        >>> layer.build((None, 2))
        >>> _ = layer.kernel.assign([[0.0, 0.6], [1.0, 0.8]])  # ||w_0|| = ||w_1|| = 1
        >>> features = np.array([[3.0, 4.0]])  # ||F(x)|| = 5
        >>> logits = layer(features, labels=np.array([1]))  # adds α2·mean ||w_y||·||F||
        >>> [round(float(loss), 6) for loss in layer.losses]
        [2.5]
        >>> logits.numpy()  # F(x)·w + b
        array([[4., 5.]], dtype=float32)

    Reference: P2 (Information Regularized Neural Networks) eq. 5-7, Table 1, appendix E.
    """

    def __init__(self, units, regularizer="info", alpha1=0.0, alpha2=0.0,
                 l1_method="proximal", l1_every=L1_EVERY, weight_decay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = check_integer(units, "units", minimum=2)
        self.regularizer = check_choice(regularizer, "regularizer", REGULARIZERS)
        alpha1 = check_non_negative(alpha1, "alpha1")
        alpha2 = check_non_negative(alpha2, "alpha2")
        self.alpha1 = alpha1 if regularizer != "none" else 0.0
        self.alpha2 = alpha2 if regularizer != "none" else 0.0
        self.l1_method = check_choice(l1_method, "l1_method", L1_METHODS)
        self.l1_every = check_integer(l1_every, "l1_every")
        self.weight_decay = check_non_negative(weight_decay, "weight_decay")
        self._loss_threads = {}

    def build(self, input_shape):
        wd = keras.regularizers.L2(self.weight_decay / 2.0) if self.weight_decay else None
        self.kernel = self.add_weight(
            name="kernel", shape=(int(input_shape[-1]), self.units),
            initializer=dense_initializer(), regularizer=wd)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.last_alpha1_term = self.add_weight(
            name="last_alpha1_term", shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica")
        self.last_alpha2_term = self.add_weight(
            name="last_alpha2_term", shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica")

    def last_terms(self):
        """{"alpha1_term": α1·||w||_1, "alpha2_term": ...} of the last training batch."""
        return {"alpha1_term": float(ops.convert_to_numpy(self.last_alpha1_term)),
                "alpha2_term": float(ops.convert_to_numpy(self.last_alpha2_term))}

    def alpha1_term(self):
        """α1 · ||w||_1 (its value; in proximal mode it is not part of the loss)."""
        return self.alpha1 * ops.sum(ops.abs(self.kernel))

    def alpha2_term(self, features, labels=None):
        """α2 · mean_k ||w_{y_k}|| · ||F(x_k)|| ("info") or α2 · ||w||_F ("naive")."""
        if self.regularizer == "naive":
            return self.alpha2 * ops.sqrt(ops.sum(ops.square(self.kernel)))
        column_norms = ops.sqrt(ops.sum(ops.square(self.kernel), axis=0))
        label_column_norms = ops.take(column_norms, ops.cast(labels, "int32"))
        feature_norms = ops.sqrt(ops.sum(ops.square(features), axis=-1))
        return self.alpha2 * ops.mean(label_column_norms * feature_norms)

    def call(self, features, labels=None, training=None):
        logits = ops.matmul(features, self.kernel) + self.bias
        if labels is None or self.regularizer == "none":
            return logits
        if self.alpha2 > 0:
            term = self.alpha2_term(features, ops.reshape(labels, (-1,)))
            self.add_loss(term)
            if training:
                self.last_alpha2_term.assign(ops.cast(term, self.last_alpha2_term.dtype))
        if self.alpha1 > 0:
            term = self.alpha1_term()
            if self.l1_method == "subgradient":
                self.add_loss(term)
            if training:
                self.last_alpha1_term.assign(ops.cast(term, self.last_alpha1_term.dtype))
        return logits

    @classmethod
    def layers_in(cls, model):
        """Every `RegularizedLogits` layer of `model`, nested models included, in order."""
        found = []
        for layer in getattr(model, "layers", []):
            if isinstance(layer, cls):
                found.append(layer)
            else:
                found.extend(cls.layers_in(layer))
        return found

    @property
    def uses_proximal_l1(self):
        """True when α1 > 0 is applied by `apply_proximal_l1` (not in the loss)."""
        return self.alpha1 > 0 and self.l1_method == "proximal"

    def apply_proximal_l1(self, learning_rate, steps=None):
        """Soft-thresholds w: w ← sign(w) · max(|w| − τ, 0), τ = lr · α1 · steps.

        Args:
            learning_rate: the optimizer's current learning rate.
            steps: the sub-gradient steps of α1·||w||_1 the threshold stands for: None =
                `l1_every` (the steps since the last proximal step, this project's reading
                of P2 appendix E), 1 = τ = lr · α1 (the other reading).
        """
        if not self.uses_proximal_l1:
            return
        steps = self.l1_every if steps is None else check_integer(steps, "steps")
        threshold = ops.cast(learning_rate, self.kernel.dtype) * (self.alpha1 * steps)
        kernel = self.kernel
        kernel.assign(ops.sign(kernel) * ops.maximum(ops.abs(kernel) - threshold, 0.0))

    # Under tf.distribute.MirroredStrategy every replica runs `call` in its own thread on
    # this one layer object, and Keras keeps `add_loss` terms in one list per layer: a
    # replica then also counted the other replicas' terms in its logged loss (their
    # values, not their gradients). Each thread sees only the terms it added.
    def add_loss(self, loss):
        for term in (loss if isinstance(loss, (list, tuple)) else [loss]):
            self._loss_threads[id(term)] = threading.get_ident()
        super().add_loss(loss)

    def _get_own_losses(self):
        own = super()._get_own_losses()
        thread = threading.get_ident()
        return [term for term in own if self._loss_threads.get(id(term), thread) == thread]

    def _clear_losses(self):
        super()._clear_losses()
        self._loss_threads = {}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, regularizer=self.regularizer, alpha1=self.alpha1,
            alpha2=self.alpha2, l1_method=self.l1_method, l1_every=self.l1_every,
            weight_decay=self.weight_decay)
        return config
