"""Test-set evaluation at every epoch end, on the whole set or on cycling windows."""

import keras

from infodl.callbacks.step_callback import optimizer_step


class PeriodicEvaluation(keras.callbacks.Callback):
    """Evaluates the model at each epoch end on the next of a cycle of datasets.

    With one dataset (the whole test set) every evaluation is on the same images.
    With several, evaluation k uses `datasets[k mod len(datasets)]`: the original
    resnet_main.py reads 50 batches of 100 test images per evaluation from a queue
    that keeps its place, so successive evaluations see successive 5 000-image halves
    of CIFAR's 10 000 test images. The metrics go into the epoch `logs` as
    `val_{name}` (read by `TrainingScalars`, CSVLogger, History) together with
    `val_num_examples`; `best` keeps the best `val_accuracy`.

    Args:
        datasets: a list of evaluation sets: datasets yielding (inputs, targets), or
            (inputs, targets) tuples of arrays.
        num_examples: the number of examples of each dataset (for the logs).
        first_index: which dataset the first evaluation uses (resumed runs continue
            the cycle: pass the number of evaluations done so far).
        skip_if: None, or a callable; an epoch end at which it returns True is not
            evaluated (a run stopped by a signal off its evaluation grid: the resumed
            run evaluates on the grid, as an uninterrupted run does).

    Example:
        >>> from infodl.callbacks.periodic_evaluation import PeriodicEvaluation
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((5, 1)), np.zeros(5)
        >>> halves = [(x[:2], y[:2]), (x[2:], y[2:])]  # the test set's two parts, in turn
        >>> evaluation = PeriodicEvaluation(halves, [2, 3])
        >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[evaluation])
        >>> history.history["val_num_examples"]
        [2, 3, 2]

    Reference: tensorflow/models research/resnet/resnet_main.py (`evaluate`,
    eval_batch_count=50, best precision = max over evaluations).
    """

    def __init__(self, datasets, num_examples, first_index=0, skip_if=None):
        super().__init__()
        self.skip_if = skip_if
        self.datasets = list(datasets)
        self.num_examples = list(num_examples)
        if not self.datasets or len(self.datasets) != len(self.num_examples):
            raise ValueError("Expected one num_examples per dataset and at least one dataset. "
                             f"Received: {len(self.datasets)} datasets, "
                             f"{len(self.num_examples)} counts")
        self.evaluations = int(first_index)
        self.history = []

    def evaluate_next(self):
        """Evaluates on the next dataset of the cycle; returns {metric: value}."""
        index = self.evaluations % len(self.datasets)
        data = self.datasets[index]
        inputs, targets = data if isinstance(data, tuple) else (data, None)
        scores = self.model.evaluate(inputs, targets, verbose=0, return_dict=True)
        self.evaluations += 1
        scores = {key: float(value) for key, value in scores.items()}
        scores["num_examples"] = self.num_examples[index]
        self.history.append((optimizer_step(self.model), dict(scores)))
        return scores

    def on_epoch_end(self, epoch, logs=None):
        if self.skip_if is not None and self.skip_if():
            return
        scores = self.evaluate_next()
        if logs is not None:
            logs.update({f"val_{key}": value for key, value in scores.items()})
