"""Callback logging I(X;Ŷ), I(Y;Ŷ) and the constraint I(X;Ŷ) - I(Y;Ŷ) on held-out data."""

import numpy as np

from infodl.callbacks.interval_logger import IntervalLogger
from infodl.checks import check_choice, check_class_labels, check_integer
from infodl.choices import MARGINALS
from infodl.estimators.prediction_information import prediction_information
from infodl.models.model_probe import adapt_to_model, prepare_inputs


class InformationConstraintLogger(IntervalLogger):
    """Logs the prediction's information I(X;Ŷ), I(Y;Ŷ) and their gap on held-out data.

    With p(ŷ|x_k) the softmax of the model's output on the n held-out examples:

        I(X;Ŷ) = (1/n) Σ_k Σ_ŷ p(ŷ|x_k) log( p(ŷ|x_k) / p̂(ŷ) ),
        I(Y;Ŷ) = Σ_{y,ŷ} π̂_{yŷ} log( π̂_{yŷ} / (π̂_{y+} π̂_{+ŷ}) ),
        constraint = I(X;Ŷ) - I(Y;Ŷ)   (P2's "irrelevant information", >= 0),

    all in nats (see `infodl.estimators.prediction_information`), at the end of every epoch
    (default) or every `every_n_steps` optimizer steps, plus the running mean of the
    constraint over all measurements of this training run (the number P2 Table 1
    reports, ≈ 0.25-0.30 nats for ResNet-32 on CIFAR-100). The cost is one
    `model.predict` over the held-out set per measurement: a subset of a few thousand
    examples keeps it to ~1 % of a CIFAR epoch.

    Scalars (in `logs` at epoch end and in TensorBoard at step = optimizer iterations):
    `info/I_X_Yhat_nats`, `info/I_Y_Yhat_nats`, `info/constraint_nats`,
    `info/constraint_running_mean_nats`. Place the callback before `TensorBoard`/
    `CSVLogger` in the callbacks list so that they see these keys.

    Args:
        inputs: held-out inputs in the model's input format (an array, or e.g.
            `{"image": x, "label": None}` for the project's ResNet).
        labels: integer class labels of `inputs`, shape (n,) or (n, 1) (integral
            floats such as 3.0 are accepted, 0.5 is not).
        every_n_steps: None (default) measures at every epoch end; an integer
            measures every that many optimizer steps (and at epoch ends when due).
        batch_size: batch size of the held-out `predict`.
        from_logits: True (default) when the model outputs logits, False for softmax
            probabilities.
        marginal: p̂(ŷ) in I(X;Ŷ): "empirical" (default) or "uniform" (P2's form).
        log_dir: directory for TensorBoard summaries; None writes none.

    Example:
        >>> from infodl.callbacks.information_constraint import InformationConstraintLogger
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        >>> model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> x = np.random.default_rng(0).normal(size=(64, 2))
        >>> y = (x[:, 0] > 0).astype(int)
        >>> info = InformationConstraintLogger(x, y)  # use held-out data in practice
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[info])
        >>> sorted(info.latest)
        ['info/I_X_Yhat_nats', 'info/I_Y_Yhat_nats', 'info/constraint_nats',
         'info/constraint_running_mean_nats']
        >>> info.latest["info/constraint_nats"] >= 0.0  # I(X;Ŷ) >= I(Y;Ŷ)
        True

    Reference: P2, Prop. 2.1-2.2 and Table 1 ("Constrain").
    """

    def __init__(self, inputs, labels, every_n_steps=None, batch_size=256,
                 from_logits=True, marginal="empirical", log_dir=None):
        super().__init__(every_n_steps=every_n_steps, log_dir=log_dir)
        self.batch_size = check_integer(batch_size, "batch_size")
        check_choice(marginal, "marginal", MARGINALS)
        self.raw_inputs = inputs
        self.inputs, num_examples = prepare_inputs(inputs, "inputs")
        self.labels = check_class_labels(labels, num_examples)
        self.num_examples = num_examples
        self.from_logits = bool(from_logits)
        self.marginal = marginal

    def _prepare(self, model):
        self.inputs = prepare_inputs(adapt_to_model(model, self.raw_inputs, "inputs"),
                                     "inputs")[0]

    def compute_information(self):
        """I(X;Ŷ), I(Y;Ŷ) and the constraint (nats) of the current model, as a dict."""
        outputs = self.model.predict(self.inputs, batch_size=self.batch_size, verbose=0)
        if isinstance(outputs, (list, tuple, dict)):
            raise ValueError(
                "Expected a model with a single (batch, num_classes) output. "
                f"Received: {type(outputs).__name__} of outputs")
        try:
            return prediction_information(
                outputs, self.labels, marginal=self.marginal, from_logits=self.from_logits)
        except ValueError as error:
            raise ValueError(f"InformationConstraintLogger: {error}") from error

    def _measure(self, step):
        info = self.compute_information()
        constraints = [values["info/constraint_nats"] for _, values in self.history]
        constraints.append(info["constraint_nats"])
        self._record(step, {
            "info/I_X_Yhat_nats": info["I_X_Yhat_nats"],
            "info/I_Y_Yhat_nats": info["I_Y_Yhat_nats"],
            "info/constraint_nats": info["constraint_nats"],
            "info/constraint_running_mean_nats": float(np.mean(constraints)),
        })
