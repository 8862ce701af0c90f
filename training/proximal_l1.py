"""The proximal ℓ1 step of P2 appendix E as a Keras callback."""

import keras


class ProximalL1(keras.callbacks.Callback):
    """Soft-thresholds the classifier w every `every` training steps.

    After step t with t mod every = 0: w ← sign(w) · max(|w| − lr_t · α1 · every, 0),
    the proximal operator of `every` skipped sub-gradient steps of α1·||w||_1. Unlike
    the sub-gradient, it sets small entries exactly to zero (P2 reports ~60 % of w at
    zero on CIFAR-10).

    Args:
        layer_name: name of the `RegularizedLogits` layer (its α1 and l1_every are used).

    Example:
        >>> model.fit(ds, callbacks=[ProximalL1("logits")])

    Reference: P2 appendix E ("we apply the ℓ1 norm regularization every 30 iterations").
    """

    def __init__(self, layer_name="logits"):
        super().__init__()
        self.layer_name = layer_name

    def on_train_begin(self, logs=None):
        self.layer = self.model.get_layer(self.layer_name)
        if not hasattr(self.layer, "apply_proximal_l1"):
            raise ValueError(
                f"Expected layer {self.layer_name!r} to be a RegularizedLogits layer. "
                f"Received: {type(self.layer).__name__}")
        self.every = self.layer.l1_every
        self.active = self.layer.alpha1 > 0 and self.layer.l1_method == "proximal"
        self.step = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.active and self.step % self.every == 0:
            self.layer.apply_proximal_l1(self.model.optimizer.learning_rate)
