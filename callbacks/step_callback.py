"""Base of the callbacks that act at global training steps (optimizer iterations)."""

import keras


def optimizer_step(model, default=0):
    """The model's global step: its optimizer's iteration count (`default` without one)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "iterations", None) is None:
        return default
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


class StepCallback(keras.callbacks.Callback):
    """Keeps `self.step`, the number of optimizer steps made so far, across `fit()` calls.

    `step` is read from the optimizer once per `fit()` (so resumed runs continue the
    count) and advanced in Python after each batch, which avoids a device read per
    step. Subclasses that override `on_train_begin` / `on_train_batch_end` call
    `super()` first.

    Example:
        >>> from infodl.callbacks.step_callback import StepCallback
        >>> class EveryTenSteps(StepCallback):
        ...     def on_train_batch_end(self, batch, logs=None):
        ...         super().on_train_batch_end(batch, logs)
        ...         if self.step % 10 == 0: print(self.step)
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> _ = model.fit(np.zeros((24, 1)), np.zeros(24), batch_size=2, epochs=2,
        ...               verbose=0, callbacks=[EveryTenSteps()])  # 12 steps per epoch
        10
        20
    """

    def __init__(self):
        super().__init__()
        self.step = 0

    def on_train_begin(self, logs=None):
        self.step = optimizer_step(self.model)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
