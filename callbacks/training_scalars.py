"""TensorBoard scalars of a training run: losses, regularizer terms, lr, accuracies."""

import math

import keras
import tensorflow as tf

# logs key -> TensorBoard tag
TRAIN_TAGS = {
    "loss": "loss/total",
    "cross_entropy": "loss/cross_entropy",
    "alpha1_term": "regularizer/alpha1_term",
    "alpha2_term": "regularizer/alpha2_term",
    "accuracy": "train/accuracy",
}
TEST_TAGS = {
    "val_accuracy": "test/accuracy",
    "val_cross_entropy": "test/cross_entropy",
    "val_loss": "test/loss",
}


class TrainingScalars(keras.callbacks.Callback):
    """Writes the training curves of a run under readable TensorBoard tags.

    Every `every_n_steps` steps: `loss/total`, `loss/cross_entropy`,
    `regularizer/alpha1_term`, `regularizer/alpha2_term`, `train/accuracy` (running means
    over the current epoch, as Keras logs them) and `train/learning_rate`. After each
    evaluation: `test/accuracy`, `test/cross_entropy`, `test/loss` and
    `test/best_accuracy` (also added to `logs` as `best_val_accuracy`). The step is the
    optimizer's global iteration count, so curves of resumed runs join up.

    Args:
        log_dir: TensorBoard folder.
        every_n_steps: interval of the training scalars.
        best_accuracy: best test accuracy of earlier (resumed) parts of the run.

    Example:
        >>> model.fit(ds, validation_data=test_ds, callbacks=[TrainingScalars("runs/a")])
    """

    def __init__(self, log_dir, every_n_steps=100, best_accuracy=None):
        super().__init__()
        if int(every_n_steps) < 1:
            raise ValueError(
                f"Expected every_n_steps >= 1. Received: every_n_steps={every_n_steps}")
        self.log_dir = str(log_dir)
        self.every_n_steps = int(every_n_steps)
        self.best_accuracy = -math.inf if best_accuracy is None else float(best_accuracy)
        self.writer = None

    def on_train_begin(self, logs=None):
        self.writer = tf.summary.create_file_writer(self.log_dir)
        self.step = int(self.model.optimizer.iterations.numpy())

    def _write(self, tags, logs):
        with self.writer.as_default(step=self.step):
            for key, tag in tags.items():
                if key in logs:
                    tf.summary.scalar(tag, float(logs[key]))

    def _write_train(self, logs):
        self._write(TRAIN_TAGS, logs)
        with self.writer.as_default(step=self.step):
            tf.summary.scalar("train/learning_rate", float(self.model.optimizer.learning_rate))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
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
            self._write(TEST_TAGS, logs)
            with self.writer.as_default(step=self.step):
                tf.summary.scalar("test/best_accuracy", self.best_accuracy)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.flush()
