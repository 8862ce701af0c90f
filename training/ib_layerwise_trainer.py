"""Layer-by-layer training of a deterministic network with the IB functional (P3 §5).

For each IB layer L_i = F_i(X) in turn (the layers below frozen, the ones above
untouched), maximize

    I(Y; L_i) - beta * I(X; L_i + eps),   eps ~ N(0, sigma^2 I)

with I(Y; L_i) from a MINE critic D_y on (one-hot y, L_i) and I(X; L_i + eps) from
the AA-MINE critic D_x on (F_i(x), L_i + eps): fresh critics are first trained alone
until their held-out estimate stops improving, then every iteration is k critic steps
(lr 1e-4) and one Adam step of layer i (lr 1e-3), compiled as one graph
(`infodl.training.ib_iteration`). The frozen layers below are evaluated once per layer (their
output is cached), so an iteration only runs layer i. Finally the net is frozen and the
linear `logits` layer is post-trained with cross-entropy.

TensorBoard (`log_dir`): per layer, the information plane on held-out samples
(`info_plane/<layer>/I_X_L_noise_bits`, `.../I_Y_L_bits`), the training terms
(`ib/<layer>/loss_nats`, `train_I_Y_L_nats`, `train_I_X_L_noise_nats`, ...), the critic
pretraining curve (`ib_pretraining/<layer>/...`) and the post-training. Checkpoints
(`log_dir/checkpoints`) every `checkpoint_every` iterations allow resuming mid-layer
with the same result as an uninterrupted run.
"""

import math
import sys

import keras
import numpy as np

from infodl import checks, stop_signals
from infodl.seeds import derive_seed
from infodl.training.ib_blocks import flatten_features, split_blocks
from infodl.training.ib_checkpoint import IBCheckpoints
from infodl.training.ib_heldout import HeldOutEstimate
from infodl.training.ib_iteration import IBIterationLoop
from infodl.training.ib_settings import IB_DEFAULTS, IBLossWeights
from infodl.training.ib_trainer_base import IBStage, IBTrainerBase, new_record
from infodl.training.in_memory_epoch_trainer import InMemoryEpochTrainer

FORWARD_BATCH = 2048


def layer_range(names, train_layers):
    """(first, last) indices into `names` of the layers `train_layers` names.

    Args:
        names: the IB layers in order, e.g. ["hidden_1", "hidden_2", "features"].
        train_layers: None (all), a name ("features"), a range "first:last" (both
            included, "hidden_2:features") or a (first, last) pair of names.

    Raises:
        ValueError: an unknown name or a range whose first layer comes after its last.

    Example:
        >>> from infodl.training.ib_layerwise_trainer import layer_range
        >>> layer_range(["hidden_1", "hidden_2", "features"], "hidden_2:features")
        (1, 2)
    """
    if train_layers is None:
        return 0, len(names) - 1
    parts = (train_layers.split(":") if isinstance(train_layers, str)
             else [str(name) for name in train_layers])
    if isinstance(train_layers, str) and len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or any(part not in names for part in parts):
        raise ValueError(f"Expected train_layers to be an IB layer of the network or a range "
                         f"first:last of them ({', '.join(names)}). "
                         f"Received: train_layers={train_layers!r}")
    first, last = names.index(parts[0]), names.index(parts[1])
    if first > last:
        raise ValueError(f"Expected train_layers first:last with {parts[0]} not after "
                         f"{parts[1]} (order: {', '.join(names)}). "
                         f"Received: train_layers={train_layers!r}")
    return first, last


def forward(blocks, inputs, batch_size=FORWARD_BATCH):
    """The blocks applied in turn to `inputs` (inference mode), as float32 NumPy."""
    parts = []
    for start in range(0, len(inputs), batch_size):
        hidden = inputs[start:start + batch_size]
        for block in blocks:
            hidden = block(hidden, training=False)
        parts.append(np.asarray(hidden, "float32"))
    return np.concatenate(parts, axis=0)


class LayerwiseIBTrainer(IBTrainerBase):
    """Trains the IB layers of a chain network one by one, then post-trains `logits`.

    Args:
        model: a chain Keras model whose last weighted layer is the linear `logits`
            (e.g. `build_ib_network(..., post_trained_logits=True)`).
        num_classes: number of classes.
        beta: weight of I(X; L_i + eps) (P3 MNIST: 1e-3; 0 = "IB first term only").
        conv_beta: beta of the conv layers (P3 CIFAR-10: 0); None = `beta`.
        iterations_per_layer: IB iterations of each layer (P3: 5000).
        train_layers: None (every IB layer), or the layers to train: a name or a range
            "first:last" (`layer_range`); the layers before and after it keep the
            model's weights (e.g. loaded from an earlier run) and are not trained; the
            post-training of `logits` follows as usual.
        posttrain_steps, posttrain_learning_rate: Adam cross-entropy training of
            `logits` on the frozen features (batch `batch_size`, whole epochs of at
            least that many steps); the default is meant to converge (P3: "the best
            linear transformation").
        settings: the `IBTrainerSettings` both IB trainers share (critics, their
            pretraining, steps, batch, logging, checkpoints, error bars).
        seed: seed of the critics, batches, noise and held-out split.
        log_dir: folder of TensorBoard events and checkpoints (None = neither).
        pretraining: the `CriticPretraining` of the layers (None = from `settings`).

    Example:
        >>> from infodl.models.ib_nets import build_ib_network
        >>> from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer
        >>> from infodl.training.ib_settings import IBTrainerSettings
        >>> model = build_ib_network("mlp_512_512", (4, 4, 1), num_classes=2,
        ...                          post_trained_logits=True, seed=0)
        >>> settings = IBTrainerSettings(  # P3: 1500-1500 critics
        ...     critic_steps=2, critic_hidden_units=(8,), batch_size=16,
        ...     critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1, verbose=0)
        >>> trainer = LayerwiseIBTrainer(  # P3: 5000 iterations per layer
        ...     model, 2, settings, iterations_per_layer=4, posttrain_steps=20)
        >>> [block.name for block in trainer.blocks], trainer.head.name
        (['hidden_1', 'hidden_2', 'features'], 'logits')
        >>> y = np.arange(64) % 2
        >>> x = (np.random.default_rng(0).normal(size=(64, 4, 4, 1))
        ...      + 2.0 * y[:, None, None, None]).astype("float32")
        >>> history = trainer.fit(x, y, x[:32], y[:32])  # doctest: +SLOW
        >>> sorted(history)  # doctest: +SLOW
        ['layers', 'posttrain', 'stopped']

    Reference: P3 (Elad et al.) §5, eq. 5 and 7, Fig. 4, Tables 1-2, appendix A and C.
    """

    def __init__(self, model, num_classes, settings=IB_DEFAULTS, beta=1e-3, conv_beta=None,
                 iterations_per_layer=5000, posttrain_steps=5000,
                 posttrain_learning_rate=1e-2, train_layers=None, seed=0, log_dir=None,
                 pretraining=None):
        super().__init__(model, num_classes, settings, seed=seed, log_dir=log_dir,
                         pretraining=pretraining)
        self.stem, self.blocks, self.head = split_blocks(model)
        self.trained_range = layer_range(self.layer_names, train_layers)
        self.beta = checks.check_non_negative(beta, "beta")
        self.conv_beta = checks.check_non_negative(conv_beta, "conv_beta", allow_none=True)
        self.iterations = checks.check_integer(iterations_per_layer, "iterations_per_layer")
        self.posttrain_steps = checks.check_integer(posttrain_steps, "posttrain_steps")
        self.posttrain_learning_rate = checks.check_positive(posttrain_learning_rate,
                                                             "posttrain_learning_rate")

    @property
    def layer_names(self):
        return [block.name for block in self.blocks]

    @property
    def trained_layer_names(self):
        """The IB layers this trainer trains (`train_layers`), in order."""
        first, last = self.trained_range
        return self.layer_names[first:last + 1]

    def layer_beta(self, block):
        """beta of one block: `conv_beta` for a convolution, else `beta`."""
        is_conv = isinstance(block.layers[0], keras.layers.Conv2D)
        return self.conv_beta if is_conv and self.conv_beta is not None else self.beta

    def fit(self, x_train, y_train, x_measure, y_measure, stop_at=None):
        """Trains every IB layer (resuming from the newest checkpoint), then `logits`.

        Args:
            x_train, y_train: training inputs of the model and integer labels.
            x_measure, y_measure: held-out samples of the information plane (e.g. test
                images); they never influence training.
            stop_at: optional (layer index, iteration): return after that iteration,
                with a checkpoint (time-boxed runs; the resume test).

        Returns:
            dict: "layers" {name: {"beta", "pretraining" (steps, curve, holdout),
            "trajectory" [[iteration, I(X; L+eps) bits, I(Y; L) bits]], "losses"
            (rows of `ib_trainer_base.LOSS_COLUMNS`), "error_bars"}}, "posttrain"
            (train loss and accuracy) and "stopped".

        Raises:
            stop_signals.Interrupted: SIGINT/SIGTERM; a checkpoint of the current
                iteration is saved (see `ib_trainer_base`), a rerun resumes there.
        """
        x_train, y_train, x_measure, y_measure = self.training_arrays(
            x_train, y_train, x_measure, y_measure)
        path, progress = self.latest_progress()
        history = progress["history"]
        if path is not None:
            IBCheckpoints.restore(path, {"network": self.model}, partial=True)
        first, last = self.trained_range
        with stop_signals.StopSignals(), stop_signals.deferred():
            for index in range(max(progress["layer"], first), last + 1):
                resume = (path, progress) if index == progress["layer"] else (None, None)
                if self._train_layer(index, x_train, y_train, x_measure, y_measure, history,
                                     resume, stop_at):
                    return dict(history, stopped=True)
            with stop_signals.immediate():
                history["posttrain"] = self._posttrain(x_train, y_train)
        return dict(history, stopped=False)

    def _train_layer(self, index, x_train, y_train, x_measure, y_measure, history, resume,
                     stop_at):
        stop_signals.check(f"the start of layer {index}")
        block = self.blocks[index]
        below = [self.stem] + self.blocks[:index]
        cached = forward(below, x_train)
        critics = self.make_critics(int(np.prod(block(cached[:2]).shape[1:])),
                                    derive_seed(self.seed, "ib_layer_critics", index))
        beta = self.layer_beta(block)
        loop = IBIterationLoop(block, block.trainable_variables, critics, cached, y_train,
                               self.num_classes, self.settings, IBLossWeights(label=1.0,
                                                                              input=beta),
                               seed=derive_seed(self.seed, "ib_iterations", index))
        objects = {"network": self.model, **loop.trackables()}
        measure = HeldOutEstimate(critics, block, forward(below, x_measure), y_measure,
                                  seed=derive_seed(self.seed, "ib_heldout", index))
        record = history["layers"].setdefault(block.name, new_record(beta=beta, index=index))
        path, progress = resume
        if progress is not None and progress["phase"] == "layer":
            IBCheckpoints.restore(path, objects)
            self.pretraining.restore_critics(critics, record)
            start = progress["iteration"]
        else:
            record["pretraining"] = self.pretraining.pretrain_critics(
                block.name, block, loop, critics, cached, y_train,
                derive_seed(self.seed, "ib_pretraining", index))
            start = 0
            self.log_point(block.name, record, measure, 0, loop=loop)
            self.save(objects, history, index, 0, self.iterations)
        if start == 0:  # skipped when a resumed record holds it
            self.error_bars(block.name, block.output_layer_name, record, (x_measure, y_measure),
                            0, seed=derive_seed(self.seed, "ib_error_bars", index, 0))
            self.pretraining.check_pretraining(block.name, record)

        def on_end():
            self.error_bars(block.name, block.output_layer_name, record,
                            (x_measure, y_measure), self.iterations,
                            seed=derive_seed(self.seed, "ib_error_bars", index, self.iterations))

        stage = IBStage(index, block.name, loop, objects, measure, record, self.iterations,
                        on_end=on_end)
        return self.run_stage(stage, history, start, stop_at=stop_at)

    def _posttrain(self, x_train, y_train):
        """Cross-entropy training of the head (`logits`) on the frozen features."""
        features = np.asarray(flatten_features(forward([self.stem] + self.blocks, x_train)))
        head = keras.Sequential([keras.Input(features.shape[1:])] + self.head.layers,
                                name="posttrained_head")
        batch_size = min(self.settings.batch_size, len(features))
        epochs = math.ceil(self.posttrain_steps / math.ceil(len(features) / batch_size))
        trainer = InMemoryEpochTrainer(
            head, keras.optimizers.Adam(self.posttrain_learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            batch_size=batch_size, seed=self.seed)
        if self.verbose:
            print(f"post-training {self.head.layers[-1].name}: {epochs} epoch(s) of "
                  f"{len(features)} examples", file=sys.stderr, flush=True)
        logs = trainer.fit(features, y_train, epochs, verbose=0)
        result = {"epochs": epochs, "train_loss": logs["loss"][-1],
                  "train_accuracy": logs["accuracy"][-1]}
        if self.writer is not None:
            self.writer.scalars({"posttrain/train_loss_nats": result["train_loss"],
                                 "posttrain/train_accuracy": result["train_accuracy"]},
                                len(self.blocks) * self.iterations)
            self.writer.flush()
        return result
