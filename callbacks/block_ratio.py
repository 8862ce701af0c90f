"""Callback logging |L(x)| / |x| of every residual block (P1 §3.3, P2 appendix D)."""

import numpy as np
from keras import ops

from infodl.callbacks.interval_logger import IntervalLogger, NonFiniteMeasurementError
from infodl.checks import check_choice, check_integer
from infodl.models.model_probe import (
    adapt_to_model,
    compile_probe,
    functional_outputs,
    layer_inputs,
    layer_output,
    output_list,
    prepare_inputs,
    residual_units,
)

DENOMINATORS = ("input", "shortcut")
SOURCES = ("probe", "train_batch")
# TensorBoard tag root per (source, denominator): different definitions never share a chart.
TAG_ROOTS = {("probe", "input"): "block_ratio",
             ("probe", "shortcut"): "block_ratio_vs_shortcut",
             ("train_batch", "input"): "block_ratio_train_batch",
             ("train_batch", "shortcut"): "block_ratio_train_batch_vs_shortcut"}
DESCRIPTIONS = {
    "input": "||L(x)|| / ||x||, x the residual unit's input (P1 §3.3)",
    "shortcut": "||L(x)|| / ||s(x)||, s(x) the unit's shortcut (identity or option A)",
}


def _example_norms(tensor):
    """||t_k||_2 over all entries of each example's tensor, shape (batch,)."""
    flat = ops.reshape(tensor, (ops.shape(tensor)[0], -1))
    return ops.sqrt(ops.sum(ops.square(ops.cast(flat, "float32")), axis=1))


def _ratio_statistics(denominator_norms, branch_norms):
    """Mean and max over examples of ||L(x_k)|| / ||d(x_k)|| (d = x or s(x)).

    Conventions for a zero denominator: 0/0 = 0 (the block leaves a zero input at
    zero) and c/0 = inf for c > 0 (unbounded relative change); NaN never results.
    """
    denominator_norms = np.asarray(denominator_norms, np.float64)
    branch_norms = np.asarray(branch_norms, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(branch_norms == 0.0, 0.0, branch_norms / denominator_norms)
    return float(np.mean(ratios)), float(np.max(ratios))


class BlockRatioLogger(IntervalLogger):
    """Logs, per residual block y = s(x) + L(x), the ratio ||L(x)||_2 / ||x||_2.

    ||·|| is the square root of the sum of squares of all entries. P1 §3.3 / P2 Fig. 5:
    a block is invertible when the ratio stays below 1 (all 15 blocks of ResNet-32 do
    over 80k steps). Two choices:

    - `denominator`: "input" (default, P1's |L(x)|/|x|, x the unit's input) or
      "shortcut" (||L(x)|| / ||s(x)||; at the stride-2 option-A units the average
      pooling halves ||s(x)||, so this ratio is about twice P1's there).
    - `source`: "probe" (default): a fixed probe batch in inference mode; each example's
      ratio, and the mean and max over the batch are logged. "train_batch" (P1's
      measurement): the norms over the whole training batch of the last step, taken in
      training mode inside the training forward pass itself, so the model's weights,
      batch-norm statistics and optimizer state are exactly those of training without
      the logger; the units must be built with `track_block_ratio=True` (the project's
      `build_resnet(..., track_block_ratio=True)`). One value per unit and step.

    Units are found automatically as the model's layers with a `residual_parts(x,
    training)` method returning (s(x), L(x)) (`infodl.models.residual_unit.ResidualUnit`,
    `BottleneckUnit`), tagged `stage{s}_unit{u}`. For a unit without a shortcut
    (PlainNet) the shortcut denominator is the input. Any other functional/Sequential
    model (source "probe"): pass `layer_pairs`, the names of the layers whose outputs
    are s(x) and L(x) (e.g. the two inputs of an Add); the ratio is over the first
    (for an identity shortcut s(x) = x, the block's input).

    Scalars (TensorBoard at step = optimizer iterations; `logs` at epoch ends where
    measured), with the tag root naming the definition: `block_ratio` (probe, input),
    `block_ratio_vs_shortcut`, `block_ratio_train_batch`,
    `block_ratio_train_batch_vs_shortcut`: `{root}/{block}/mean`, `{root}/{block}/max`
    (probe) or `{root}/{block}` (train batch), and `{root}/max` over all blocks.

    Args:
        probe_inputs: probe batch in the model's input format (an array; for the
            project's ResNet an image array or `{"image": x, "label": None}`); ignored
            (may be None) with source="train_batch".
        every_n_steps: logging interval in optimizer steps (default 100; 1 = every step).
        layer_pairs: None (find residual units), a list of
            `(shortcut_layer_name, branch_layer_name)` tagged by the branch layer's
            name, or a dict `{block_name: (shortcut_layer_name, branch_layer_name)}`.
        log_dir: directory for TensorBoard summaries; None writes none.
        denominator: "input" or "shortcut".
        source: "probe" or "train_batch".

    Example:
        >>> from infodl.callbacks.block_ratio import BlockRatioLogger
        >>> x = keras.Input((4,), name="x")
        >>> half = keras.initializers.Identity(0.5)  # L(x) = x / 2, a fixed branch
        >>> branch = keras.layers.Dense(4, use_bias=False, kernel_initializer=half,
        ...                             trainable=False, name="branch")(x)
        >>> y = keras.layers.Add()([x, branch])
        >>> model = keras.Model(x, keras.layers.Dense(1, name="head")(y))
        >>> model.compile("sgd", "mse")
        >>> data = np.random.default_rng(0).normal(size=(32, 4))
        >>> logger = BlockRatioLogger(data[:8], every_n_steps=2, layer_pairs=[("x", "branch")])
        >>> _ = model.fit(data, np.zeros(32), batch_size=8, verbose=0, callbacks=[logger])
        >>> round(logger.latest["block_ratio/branch/max"], 6)  # ||x / 2|| / ||x||
        0.5

    Reference: P1 §3.3 (Fig. 5); P2 appendix D (Lemma D.1, Fig. 5).
    """

    def __init__(self, probe_inputs=None, every_n_steps=100, layer_pairs=None, log_dir=None,
                 denominator="input", source="probe"):
        super().__init__(every_n_steps=check_integer(every_n_steps, "every_n_steps"),
                         log_dir=log_dir)
        self.denominator = check_choice(denominator, "denominator", DENOMINATORS)
        self.source = check_choice(source, "source", SOURCES)
        self.layer_pairs = self._check_pairs(layer_pairs)
        if self.source == "train_batch" and self.layer_pairs is not None:
            raise ValueError("Expected layer_pairs=None with source='train_batch' (it reads "
                             "the norms kept by the project's residual units). Received: "
                             f"layer_pairs={layer_pairs!r}")
        self.tag_root = TAG_ROOTS[(self.source, self.denominator)]
        self.probe_inputs = probe_inputs
        self._probe, self.probe_size = (None, 0) if self.source == "train_batch" else \
            prepare_inputs(probe_inputs, "probe_inputs")
        self.block_names = []

    @staticmethod
    def _check_pairs(layer_pairs):
        if layer_pairs is None:
            return None
        items = (list(layer_pairs.items()) if isinstance(layer_pairs, dict)
                 else [(None, pair) for pair in layer_pairs])
        pairs = []
        for name, pair in items:
            if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                    or not all(isinstance(p, str) for p in pair)):
                raise ValueError(
                    "Expected layer_pairs entries (shortcut_layer_name, branch_layer_name)."
                    f" Received: {pair!r}")
            pairs.append((str(name) if name is not None else pair[1], pair[0], pair[1]))
        if not pairs:
            raise ValueError("Expected at least one layer pair. Received: layer_pairs=[]")
        return pairs

    def _units(self, model):
        units = residual_units(model)
        if not units:
            raise ValueError(
                "Expected a model with residual units (layers with a `residual_parts`"
                " method, e.g. models.residual_unit.ResidualUnit) or explicit "
                "layer_pairs=[(shortcut_layer, branch_layer), ...]. Received: model "
                f"{model.name!r} with no residual units")
        return units

    def _prepare(self, model):
        if self.layer_pairs is not None:
            names = [name for name, _, _ in self.layer_pairs]
            tensors = []
            for _, shortcut, branch in self.layer_pairs:
                tensors += [layer_output(model, shortcut), layer_output(model, branch)]
            extractor = functional_outputs(model, tensors, "shortcut/branch layers")

            def block_norms(inputs):
                outputs = output_list(extractor(inputs, training=False))
                return [(_example_norms(outputs[i]), _example_norms(outputs[i + 1]))
                        for i in range(0, len(outputs), 2)]
        else:
            units = self._units(model)
            names = [layer.name if getattr(layer, "stage", None) is None
                     or getattr(layer, "unit", None) is None
                     else f"stage{layer.stage}_unit{layer.unit}" for layer in units]
            if self.source == "train_batch":
                untracked = [u.name for u in units if not getattr(u, "track_block_ratio", 0)]
                if untracked:
                    raise ValueError(
                        "Expected residual units built with track_block_ratio=True for "
                        f"source='train_batch'. Received: units {untracked} without it")
                self._tracked_units = units
            else:
                extractor = functional_outputs(
                    model, layer_inputs(model, units, "residual unit inputs"),
                    "residual unit inputs")
                use_input = self.denominator == "input"

                def block_norms(inputs):
                    unit_inputs = output_list(extractor(inputs, training=False))
                    norms = []
                    for unit, x in zip(units, unit_inputs, strict=True):
                        shortcut, branch = unit.residual_parts(x, training=False)
                        denominator = x if use_input or shortcut is None else shortcut
                        norms.append((_example_norms(denominator), _example_norms(branch)))
                    return norms
        if len(set(names)) != len(names):
            raise ValueError(f"Expected distinct block names. Received: {names}")
        self.block_names = names
        if self.source == "probe":
            self._probe = prepare_inputs(adapt_to_model(model, self.probe_inputs,
                                                        "probe_inputs"), "probe_inputs")[0]
            self._block_norms = compile_probe(block_norms)
        self.descriptions = {}

    def compute_norms(self):
        """Per block, (denominator norms, ||L(x)|| norms) as NumPy arrays.

        Probe source: one entry per probe example; train-batch source: one entry, the
        norms over the whole last training batch.
        """
        self._ensure_prepared()
        if self.source == "train_batch":
            column = 1 if self.denominator == "input" else 2
            stored = [np.asarray(ops.convert_to_numpy(u.training_batch_norms), np.float64)
                      for u in self._tracked_units]
            pairs = [(values[column:column + 1], values[0:1]) for values in stored]
        else:
            pairs = [(np.asarray(ops.convert_to_numpy(d), np.float64),
                      np.asarray(ops.convert_to_numpy(b), np.float64))
                     for d, b in self._block_norms(self._probe)]
        result = {}
        for name, (denominator, branch) in zip(self.block_names, pairs, strict=True):
            if not (np.all(np.isfinite(denominator)) and np.all(np.isfinite(branch))):
                raise NonFiniteMeasurementError(
                    f"BlockRatioLogger: expected finite activations in block {name!r}. "
                    "Received: NaN or inf (has the model diverged?)")
            result[name] = (denominator, branch)
        return result

    def on_train_batch_begin(self, batch, logs=None):
        if self.source == "probe":
            super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self.source == "train_batch":  # the norms of the batch just trained on
            step = self._epoch_start_step + int(batch) + 1
            if self._due(step):
                self.measure_now(step)

    def _measure(self, step):
        if self.source == "train_batch" and step == 0:
            return  # no training batch seen yet
        scalars = {}
        overall = 0.0
        root = self.tag_root
        for name, (denominator, branch) in self.compute_norms().items():
            mean, maximum = _ratio_statistics(denominator, branch)
            if self.source == "train_batch":
                scalars[f"{root}/{name}"] = mean
            else:
                scalars[f"{root}/{name}/mean"] = mean
                scalars[f"{root}/{name}/max"] = maximum
            overall = max(overall, maximum)
        scalars[f"{root}/max"] = overall
        description = DESCRIPTIONS[self.denominator] + (
            ", whole training batch, training mode" if self.source == "train_batch"
            else ", per probe example, inference mode")
        self.descriptions = {tag: description for tag in scalars}
        self._record(step, scalars)
