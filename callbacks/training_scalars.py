"""TensorBoard scalars of a training run: losses, regularizer terms, lr, accuracies."""

import math

import keras

from infodl.callbacks.step_callback import StepCallback
from infodl.checks import check_integer
from infodl.models.regularized_logits import RegularizedLogits
from infodl.run_folder.summary_writer import SummaryWriter

# logs key -> TensorBoard tag
TRAIN_TAGS = {
    "loss": "loss/total",
    "cross_entropy": "loss/cross_entropy",
    "accuracy": "train/accuracy",
}
TEST_TAGS = {"val_accuracy": "accuracy", "val_cross_entropy": "cross_entropy",
             "val_loss": "loss", "val_num_examples": "num_examples"}


class TrainingScalars(StepCallback):
    """Writes the training curves of a run under readable TensorBoard tags.

    Every `every_n_steps` steps: `loss/total`, `loss/cross_entropy`, `train/accuracy`
    (running means over the current epoch, as Keras logs them), `train/learning_rate`
    and, for a model with a `RegularizedLogits` layer, `regularizer/alpha1_term` and
    `regularizer/alpha2_term` (their values on the last training batch). After each
    evaluation: `test/accuracy`, `test/cross_entropy`, `test/loss`, `test/num_examples`
    and `test/best_accuracy` (also added to `logs` as `best_val_accuracy`), under
    `test_original/...` for the original 50 × 100 protocol. The step is the optimizer's
    global iteration count, so curves of resumed runs join up.

    Args:
        log_dir: TensorBoard folder.
        every_n_steps: interval of the training scalars.
        best_accuracy: best test accuracy of earlier (resumed) parts of the run.
        test_tag_root: root of the test tags ("test", or "test_original").

    Example:
        >>> import os
        >>> from infodl.callbacks.training_scalars import TrainingScalars
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.zeros((4, 1)), np.zeros(4)
        >>> _ = model.fit(x, y, validation_data=(x, y), batch_size=2, verbose=0,
        ...               callbacks=[TrainingScalars("runs/a", every_n_steps=1)])
        >>> any(name.startswith("events.out.tfevents") for name in os.listdir("runs/a"))
        True
    """

    def __init__(self, log_dir, every_n_steps=100, best_accuracy=None, test_tag_root="test"):
        super().__init__()
        self.log_dir = str(log_dir)
        self.every_n_steps = check_integer(every_n_steps, "every_n_steps")
        self.best_accuracy = -math.inf if best_accuracy is None else float(best_accuracy)
        self.test_tags = {key: f"{test_tag_root}/{tag}" for key, tag in TEST_TAGS.items()}
        self.test_tag_root = test_tag_root
        self.writer = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.writer = SummaryWriter.for_log_dir(self.log_dir)

    def _write(self, tags, logs):
        self.writer.scalars({tag: logs[key] for key, tag in tags.items() if key in logs},
                            self.step)

    def _write_train(self, logs):
        self._write(TRAIN_TAGS, logs)
        layers = RegularizedLogits.layers_in(self.model)
        for layer in layers:
            prefix = "regularizer/" if len(layers) == 1 else f"regularizer/{layer.name}/"
            if layer.regularizer != "none":
                self.writer.scalars({prefix + k: v for k, v in layer.last_terms().items()},
                                    self.step)
        learning_rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        self.writer.scalar("train/learning_rate", learning_rate, self.step)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step % self.every_n_steps == 0 and logs:
            self._write_train(logs)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        if self.step % self.every_n_steps:  # not already written by on_train_batch_end
            self._write_train(logs)
        if "val_accuracy" in logs:
            self.best_accuracy = max(self.best_accuracy, float(logs["val_accuracy"]))
            logs["best_val_accuracy"] = self.best_accuracy
            self._write(self.test_tags, logs)
            self.writer.scalar(f"{self.test_tag_root}/best_accuracy", self.best_accuracy,
                               self.step)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.flush()
