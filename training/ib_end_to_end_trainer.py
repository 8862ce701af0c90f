"""End-to-end training with the IB functional as a regularizer (P3 appendix B, eq. 8).

The whole network is trained on

    L = alpha * CE(Y, Y_hat) - beta * I(Y; Y_hat) + gamma * I(X; Y_hat + eps)

where Y_hat is the network's output (its logits), I(Y; Y_hat) comes from a MINE critic
on (one-hot y, Y_hat) and I(X; Y_hat + eps) from the AA-MINE critic on
(Y_hat(x), Y_hat + eps), eps ~ N(0, sigma^2 I). The critics are pretrained until their
held-out estimate stops improving, then every step is k critic steps and one Adam step
of every network weight, compiled as one graph (`infodl.training.ib_iteration`). With
beta = gamma = 0 no critic is built and the same loop trains plain cross-entropy (the
baseline of P3 Table 3, with the same steps, batches and learning rate).
"""

import numpy as np

from infodl import checks, stop_signals
from infodl.seeds import derive_seed
from infodl.training.ib_checkpoint import IBCheckpoints
from infodl.training.ib_heldout import HeldOutEstimate
from infodl.training.ib_iteration import IBIterationLoop
from infodl.training.ib_settings import IB_DEFAULTS, IBLossWeights
from infodl.training.ib_trainer_base import IBStage, IBTrainerBase, new_record

STAGE_NAME = "logits"


class EndToEndIBTrainer(IBTrainerBase):
    """Trains a whole network on alpha·CE − beta·I(Y; Ŷ) + gamma·I(X; Ŷ + eps).

    Args:
        model: a Keras model whose output is the logits Ŷ.
        num_classes: number of classes.
        alpha: weight of the cross-entropy (P3: 1).
        beta: weight of -I(Y; Ŷ) (P3 Table 3: 1).
        gamma: weight of I(X; Ŷ + eps) (P3 Table 3: 1e-3).
        train_steps: network steps (P3: 5000 MNIST, 20000 CIFAR-10).
        settings: the `IBTrainerSettings` both IB trainers share.
        seed: seed of the critics, batches, noise and held-out split.
        log_dir: folder of TensorBoard events and checkpoints (None = neither).
        pretraining: the `CriticPretraining` of the critics (None = from `settings`).

    Example:
        >>> from infodl.models.ib_nets import build_ib_network
        >>> from infodl.training.ib_end_to_end_trainer import EndToEndIBTrainer
        >>> from infodl.training.ib_settings import IBTrainerSettings
        >>> model = build_ib_network("mlp_600_400", (4, 4, 1), num_classes=2, seed=0)
        >>> settings = IBTrainerSettings(  # P3 appendix C: 1500-1500 critics
        ...     critic_steps=2, critic_hidden_units=(8,), batch_size=16,
        ...     critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1, verbose=0)
        >>> trainer = EndToEndIBTrainer(  # P3 appendix B: 5000 steps
        ...     model, 2, settings, beta=1.0, gamma=1e-3, train_steps=4)
        >>> y = np.arange(64) % 2
        >>> x = (np.random.default_rng(0).normal(size=(64, 4, 4, 1))
        ...      + 2.0 * y[:, None, None, None]).astype("float32")
        >>> history = trainer.fit(x, y, x[:32], y[:32])  # doctest: +SLOW
        >>> sorted(history)  # doctest: +SLOW
        ['layers', 'stopped']

    Reference: P3 (Elad et al.) appendix B (eq. 8, Table 3, Fig. 6) and appendix C.
    """

    def __init__(self, model, num_classes, settings=IB_DEFAULTS, alpha=1.0, beta=1.0,
                 gamma=1e-3, train_steps=5000, seed=0, log_dir=None, pretraining=None):
        super().__init__(model, num_classes, settings, seed=seed, log_dir=log_dir,
                         pretraining=pretraining)
        self.weights = IBLossWeights(ce=alpha, label=beta, input=gamma)
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        if not (alpha or beta or gamma):
            raise ValueError("Expected alpha, beta or gamma > 0 (the loss would be 0). "
                             "Received: alpha=0, beta=0, gamma=0")
        self.train_steps = checks.check_integer(train_steps, "train_steps")

    @property
    def uses_critics(self):
        return self.weights.uses_critics

    def features(self, inputs, training=False):
        return self.model(inputs, training=training)

    def fit(self, x_train, y_train, x_measure, y_measure, stop_at=None):
        """Trains for `train_steps` steps (resuming from the newest checkpoint).

        Args:
            x_train, y_train: training inputs and integer labels.
            x_measure, y_measure: held-out samples for the information plane and the
                logged accuracy (never used for training).
            stop_at: optional (0, step): return after that step, with a checkpoint.

        Returns:
            dict: "layers" {"logits": {"pretraining", "trajectory" [[step, I(X; Ŷ+eps)
            bits, I(Y; Ŷ) bits]], "losses", "error_bars", "accuracy" [[step, held-out
            accuracy]]}} and "stopped".

        Raises:
            stop_signals.Interrupted: SIGINT/SIGTERM; a checkpoint of the current step
                is saved (see `ib_trainer_base`), a rerun resumes there.
        """
        with stop_signals.StopSignals(), stop_signals.deferred():
            return self._fit(x_train, y_train, x_measure, y_measure, stop_at)

    def _fit(self, x_train, y_train, x_measure, y_measure, stop_at):
        x_train, y_train, x_measure, y_measure = self.training_arrays(
            x_train, y_train, x_measure, y_measure)
        path, progress = self.latest_progress()
        history = progress["history"]
        record = history["layers"].setdefault(STAGE_NAME, new_record(
            alpha=self.alpha, beta=self.beta, gamma=self.gamma, accuracy=[]))
        if progress["layer"] >= 1:  # already complete
            IBCheckpoints.restore(path, {"network": self.model}, partial=True)
            return dict(history, stopped=False)
        critics = None
        if self.uses_critics:
            num_outputs = int(np.prod(self.model.output.shape[1:]))
            critics = self.make_critics(num_outputs, derive_seed(self.seed, "ib_layer_critics", 0))
        loop = IBIterationLoop(self.features, self.model.trainable_variables, critics,
                               x_train, y_train, self.num_classes, self.settings, self.weights,
                               seed=derive_seed(self.seed, "ib_iterations", 0))
        objects = {"network": self.model, **loop.trackables()}
        measure = None if critics is None else HeldOutEstimate(
            critics, self.features, x_measure, y_measure,
            seed=derive_seed(self.seed, "ib_heldout", 0))

        def accuracy(step):
            predicted = np.concatenate([
                np.argmax(np.asarray(self.model(x_measure[i:i + 2048], training=False)), -1)
                for i in range(0, len(x_measure), 2048)])
            value = float(np.mean(predicted == y_measure))
            record["accuracy"].append([step, value])
            return {"heldout/accuracy": value}

        if progress["phase"] == "layer":
            IBCheckpoints.restore(path, objects)
            self.pretraining.restore_critics(critics, record)
            start = progress["iteration"]
        else:
            if critics is not None:
                record["pretraining"] = self.pretraining.pretrain_critics(
                    STAGE_NAME, self.features, loop, critics, x_train, y_train,
                    derive_seed(self.seed, "ib_pretraining", 0))
            start = 0
            self.log_point(STAGE_NAME, record, measure, 0, extra=accuracy(0), loop=loop)
            self.save(objects, history, 0, 0, self.train_steps)
        if start == 0:  # skipped when a resumed record holds it
            self._error_bars(record, x_measure, y_measure, 0)
            self.pretraining.check_pretraining(STAGE_NAME, record)
        stage = IBStage(0, STAGE_NAME, loop, objects, measure, record, self.train_steps,
                        on_log=accuracy, on_end=lambda: self._error_bars(
                            record, x_measure, y_measure, self.train_steps))
        return dict(history, stopped=self.run_stage(stage, history, start, stop_at=stop_at))

    def _error_bars(self, record, x_measure, y_measure, step):
        if self.uses_critics:
            self.error_bars(STAGE_NAME, self.model.layers[-1].name, record,
                            (x_measure, y_measure), step,
                            seed=derive_seed(self.seed, "ib_error_bars", 0, step))

