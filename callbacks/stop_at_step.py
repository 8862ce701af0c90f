"""Ends `fit()` at an exact global step, whatever the epoch length."""

from infodl.callbacks.step_callback import StepCallback
from infodl.checks import check_integer


class StopAtStep(StepCallback):
    """Stops training once the optimizer has made `last_step` steps in total.

    `fit()` counts epochs; the original ResNet code counts global steps (80k). With this
    callback an "epoch" is only the evaluation/checkpoint interval, and a resumed run
    still stops at the requested global step.

    Args:
        last_step: the global step (optimizer iterations) at which to stop.

    Example:
        >>> from infodl.callbacks.stop_at_step import StopAtStep
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> _ = model.fit(np.zeros((4, 1)), np.zeros(4), batch_size=1, epochs=100, verbose=0,
        ...               callbacks=[StopAtStep(6)])  # in P1 / P2: StopAtStep(80_000)
        >>> int(model.optimizer.iterations)
        6
    """

    def __init__(self, last_step):
        super().__init__()
        self.last_step = check_integer(last_step, "last_step")

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step >= self.last_step:
            self.model.stop_training = True
