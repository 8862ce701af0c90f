"""A fast trainer for tiny models on in-memory data: many epochs per tf.function call."""

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from infodl.checks import check_integer


class InMemoryEpochTrainer:
    """Minibatch training whose epochs run inside one compiled graph loop.

    Each epoch draws a random permutation of the N training examples and takes
    ceil(N / batch_size) steps w <- optimizer(w, grad L(batch)), with
    L = loss(y, model(x)) + sum(model.losses), exactly like `model.fit(shuffle=True)`
    (the last batch is smaller when batch_size does not divide N). Whole stretches
    of epochs run in one `tf.function` call, which removes fit()'s per-epoch Python
    overhead: the 12-10-7-5-4-3-2 net on 3277 examples trains about 20x faster
    than with fit(). Keras callbacks are called (`on_train_begin`, `on_epoch_end`,
    `on_train_end`) only at report epochs: the union of every callback's
    `scheduled_epochs(epochs)` (when it has one), `report_epochs` and the last epoch.

    Args:
        model: a Keras model (TensorFlow backend).
        optimizer: a Keras optimizer instance.
        loss: a Keras loss (name or object); labels are integers for the default.
        batch_size: int >= 1.
        seed: int, seed of the shuffling.

    Example:
        trainer = InMemoryEpochTrainer(model, keras.optimizers.Adam(4e-4), batch_size=512)
        history = trainer.fit(x_train, y_train, epochs=8000, callbacks=[logger])

    Reference: the training loop of ravidziv/IDNNs (per-epoch reshuffle, batch 512).
    """

    def __init__(self, model, optimizer, loss="sparse_categorical_crossentropy",
                 batch_size=512, seed=0):
        batch_size = check_integer(batch_size, "batch_size")
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise ValueError("Expected a keras.optimizers.Optimizer instance. "
                             f"Received: optimizer={optimizer!r}")
        self.model = model
        self.optimizer = optimizer
        self.loss = keras.losses.get(loss)
        self.batch_size = batch_size
        self.seed = seed
        self._shuffle_generator = tf.random.Generator.from_seed(seed)
        self._run_epochs = None

    def _compile(self, inputs, labels):
        num_examples = int(inputs.shape[0])
        num_batches = -(-num_examples // self.batch_size)
        batch_size, model, loss_fn = self.batch_size, self.model, self.loss
        variables = model.trainable_variables
        self.optimizer.build(variables)
        sparse_labels = labels.dtype.is_integer and len(labels.shape) == 1

        @tf.function
        def run_epochs(num_epochs):
            loss_sum, correct = tf.constant(0.0), tf.constant(0.0)
            for _ in tf.range(num_epochs):
                keys = self._shuffle_generator.uniform([num_examples])
                permutation = tf.argsort(keys)
                loss_sum, correct = tf.constant(0.0), tf.constant(0.0)
                for batch in tf.range(num_batches):
                    start = batch * batch_size
                    index = permutation[start:tf.minimum(start + batch_size, num_examples)]
                    batch_inputs = tf.gather(inputs, index)
                    batch_labels = tf.gather(labels, index)
                    with tf.GradientTape() as tape:
                        predictions = model(batch_inputs, training=True)
                        batch_loss = tf.reduce_mean(loss_fn(batch_labels, predictions))
                        extra = [tf.cast(term, tf.float32) for term in model.losses]
                        total = batch_loss + tf.add_n([tf.constant(0.0)] + extra)
                    gradients = tape.gradient(total, variables)
                    self.optimizer.apply(gradients, variables)
                    weight = tf.cast(tf.shape(index)[0], tf.float32)
                    loss_sum += tf.cast(batch_loss, tf.float32) * weight
                    if sparse_labels:
                        hits = tf.equal(tf.argmax(predictions, axis=-1, output_type=labels.dtype),
                                        batch_labels)
                        correct += tf.reduce_sum(tf.cast(hits, tf.float32))
            return loss_sum / num_examples, correct / num_examples

        return run_epochs, sparse_labels

    def fit(self, inputs, labels, epochs, callbacks=(), report_epochs=(),
            validation_data=None, verbose=1):
        """Train for `epochs` epochs and return the logs of the report epochs.

        Args:
            inputs, labels: training arrays (N, ...) and (N,) / (N, C).
            epochs: int >= 1.
            callbacks: Keras callbacks (called at report epochs only).
            report_epochs: extra completed-epoch counts at which to call callbacks.
            validation_data: optional (inputs, labels); adds val_loss / val_accuracy.
            verbose: 1 shows a tqdm progress bar over epochs, 0 is silent.

        Returns:
            dict: "epoch" (completed counts) and per-metric lists at report epochs.
        """
        epochs = check_integer(epochs, "epochs")
        inputs = tf.convert_to_tensor(np.asarray(inputs, dtype=np.float32))
        labels = tf.convert_to_tensor(np.asarray(labels))
        run_epochs, sparse_labels = self._compile(inputs, labels)
        num_batches = -(-int(inputs.shape[0]) // self.batch_size)
        callback_list = keras.callbacks.CallbackList(
            list(callbacks), add_history=False, add_progbar=False, model=self.model,
            epochs=epochs, steps=num_batches, verbose=0)
        reports = {epochs} | {int(e) for e in report_epochs if 0 < int(e) <= epochs}
        for callback in callbacks:
            if hasattr(callback, "scheduled_epochs"):
                reports |= {int(e) for e in callback.scheduled_epochs(epochs)
                            if 0 < int(e) <= epochs}
        # at most ~200 stops for the progress bar
        stride = max(1, epochs // 200)
        stops = sorted(reports | set(range(stride, epochs + 1, stride)))
        history = {"epoch": []}
        self.model.stop_training = False
        callback_list.on_train_begin()
        bar = tqdm(total=epochs, disable=not verbose, unit="epoch", mininterval=1.0)
        completed = 0
        for stop in stops:
            loss, accuracy = run_epochs(tf.constant(stop - completed))
            bar.update(stop - completed)
            completed = stop
            logs = {"loss": float(loss)}
            if sparse_labels:
                logs["accuracy"] = float(accuracy)
            bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
            if stop in reports:
                if validation_data is not None:
                    logs.update(self._validation_logs(*validation_data, sparse_labels))
                callback_list.on_epoch_end(stop - 1, logs)
                history["epoch"].append(stop)
                for key, value in logs.items():
                    history.setdefault(key, []).append(value)
                if self.model.stop_training:
                    break
        bar.close()
        callback_list.on_train_end(logs)
        return history

    def _validation_logs(self, inputs, labels, sparse_labels):
        predictions = self.model(np.asarray(inputs, dtype=np.float32), training=False)
        labels = np.asarray(labels)
        logs = {"val_loss": float(np.mean(self.loss(labels, predictions)))}
        if sparse_labels:
            predicted = np.argmax(keras.ops.convert_to_numpy(predictions), axis=-1)
            logs["val_accuracy"] = float(np.mean(predicted == labels))
        return logs
