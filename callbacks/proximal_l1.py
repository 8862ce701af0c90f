"""The proximal ℓ1 step of P2 appendix E as a Keras callback."""

from infodl.callbacks.step_callback import StepCallback
from infodl.checks import check_choice
from infodl.choices import L1_THRESHOLD_SCALES
from infodl.models.regularized_logits import RegularizedLogits


class ProximalL1(StepCallback):
    """Soft-thresholds the classifier w of every `RegularizedLogits` layer it applies to.

    After global step t with t mod l1_every = 0, for each layer with α1 > 0 and
    `l1_method="proximal"`: w ← sign(w) · max(|w| − τ, 0) with τ = lr_t · α1 · l1_every,
    the proximal operator of `l1_every` skipped sub-gradient steps of α1·||w||_1
    (`threshold_scale="interval"`), or τ = lr_t · α1, one step's worth
    (`threshold_scale="step"`; P2 appendix E does not say which it means). Unlike the
    sub-gradient, it sets small entries exactly to zero (P2 reports ~60 % of w at zero
    on CIFAR-10). Each layer's own α1 and l1_every are used.

    Args:
        layers: None (every `RegularizedLogits` layer of the model, found by
            `RegularizedLogits.layers_in(model)`) or a list of such layers.
        threshold_scale: "interval" (τ = lr·α1·l1_every) or "step" (τ = lr·α1).

    Example:
        >>> from infodl.callbacks.proximal_l1 import ProximalL1
        >>> from infodl.models.regularized_logits import RegularizedLogits
        >>> logits = RegularizedLogits(2, alpha1=1.0, l1_every=2, name="logits")
        >>> model = keras.Sequential([keras.Input((3,)), logits])
        >>> model.compile(keras.optimizers.SGD(0.5),
        ...               keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> _ = model.fit(np.ones((2, 3)), np.array([0, 1]), batch_size=1, verbose=0,
        ...               callbacks=[ProximalL1()])  # τ = lr · α1 · l1_every = 1 at step 2
        >>> float(np.mean(logits.kernel.numpy() == 0.0))  # every |w| < 1 is now exactly 0
        1.0

    Reference: P2 appendix E ("we apply the ℓ1 norm regularization every 30 iterations").
    """

    def __init__(self, layers=None, threshold_scale="interval"):
        super().__init__()
        self.threshold_scale = check_choice(threshold_scale, "threshold_scale",
                                            L1_THRESHOLD_SCALES)
        self.layers = None if layers is None else list(layers)
        for layer in self.layers or []:
            if not isinstance(layer, RegularizedLogits):
                raise ValueError("Expected RegularizedLogits layers. "
                                 f"Received: {type(layer).__name__}")

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        layers = RegularizedLogits.layers_in(self.model) if self.layers is None else self.layers
        self.active = [layer for layer in layers if layer.uses_proximal_l1]

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        for layer in self.active:
            if self.step % layer.l1_every == 0:
                if self.threshold_scale == "step":
                    layer.apply_proximal_l1(self.model.optimizer.learning_rate, steps=1)
                else:  # τ = lr · α1 · l1_every, the layer's default
                    layer.apply_proximal_l1(self.model.optimizer.learning_rate)
