"""Callback logging ||L(x)|| / ||s(x)|| of every residual block on a fixed probe batch."""

import numpy as np
from keras import ops

from callbacks._summary import IntervalLogger
from callbacks._summary import functional_outputs
from callbacks._summary import layer_inputs
from callbacks._summary import layer_output
from callbacks._summary import maybe_compile
from callbacks._summary import output_list
from callbacks._summary import prepare_inputs


def _example_norms(tensor):
    """||t_k||_2 over all entries of each example's tensor, shape (batch,)."""
    flat = ops.reshape(tensor, (ops.shape(tensor)[0], -1))
    return ops.sqrt(ops.sum(ops.square(ops.cast(flat, "float32")), axis=1))


def ratio_statistics(shortcut_norms, branch_norms):
    """Mean and max over examples of ||L(x_k)|| / ||s(x_k)||.

    Conventions for a zero shortcut: 0/0 = 0 (the block leaves a zero input at zero)
    and c/0 = inf for c > 0 (unbounded relative change); NaN never results.
    """
    shortcut_norms = np.asarray(shortcut_norms, np.float64)
    branch_norms = np.asarray(branch_norms, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(branch_norms == 0.0, 0.0, branch_norms / shortcut_norms)
    return float(np.mean(ratios)), float(np.max(ratios))


class BlockRatioLogger(IntervalLogger):
    """Logs, per residual block y = s(x) + L(x), the ratio ||L(x)||_2 / ||s(x)||_2.

    For each example of a fixed probe batch, ||·|| is the square root of the sum of
    squares of all entries of that example's tensor; every `every_n_steps` optimizer
    steps the mean and max over the probe batch are logged per block, plus the max
    over all blocks. P1 §3.3 / P2 Fig. 5: a block is invertible when the ratio stays
    below 1 (all 15 blocks of ResNet-32 do over 80k steps).

    Blocks are found automatically as the model's layers with a
    `residual_parts(x, training)` method returning (s(x), L(x)) (the project's
    `models.residual_unit.ResidualUnit` and `BottleneckUnit`), tagged
    `stage{s}_unit{u}` from their `stage`/`unit` attributes. For a unit without a
    shortcut (PlainNet, s(x) None) the denominator is the unit's input x (P1's
    |L(x)|/|x|). Any other functional/Sequential model: pass `layer_pairs`, the names
    of the layers whose outputs are s(x) and L(x) (e.g. the two inputs of an Add).
    Measurements run in inference mode (`training=False`). A zero shortcut gives
    ratio 0 when L(x) = 0 too and inf otherwise; non-finite activations raise.

    Scalars (in `logs` at epoch end and in TensorBoard at step = optimizer iterations):
    `block_ratio/{block}/mean`, `block_ratio/{block}/max`, `block_ratio/max`.

    Args:
        probe_inputs: a fixed probe batch in the model's input format (an array, or
            e.g. `{"image": x, "label": None}` for the project's ResNet).
        every_n_steps: logging interval in optimizer steps (default 100).
        layer_pairs: None (find residual units), a list of
            `(shortcut_layer_name, branch_layer_name)` tagged by the branch layer's
            name, or a dict `{block_name: (shortcut_layer_name, branch_layer_name)}`.
        log_dir: directory for TensorBoard summaries; None writes none.

    Example:
        >>> logger = BlockRatioLogger({"image": x_test[:128], "label": None},
        ...                           log_dir="logs/run1")
        >>> model.fit(dataset, epochs=10, callbacks=[logger])
        >>> logger.latest["block_ratio/stage1_unit0/max"]

    Reference: P1 §3.3 (Fig. 5); P2 appendix D (Lemma D.1, Fig. 5); SPEC §4.
    """

    def __init__(self, probe_inputs, every_n_steps=100, layer_pairs=None, log_dir=None):
        super().__init__(every_n_steps=every_n_steps, log_dir=log_dir)
        if self.every_n_steps is None:
            raise ValueError("Expected every_n_steps to be an integer >= 1. Received: None")
        self.probe_inputs = probe_inputs
        self._probe, self.probe_size = prepare_inputs(probe_inputs, "probe_inputs")
        self.layer_pairs = self._check_pairs(layer_pairs)
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
            units = [layer for layer in model.layers if hasattr(layer, "residual_parts")]
            if not units:
                raise ValueError(
                    "Expected a model with residual units (layers with a `residual_parts`"
                    " method, e.g. models.residual_unit.ResidualUnit) or explicit "
                    "layer_pairs=[(shortcut_layer, branch_layer), ...]. Received: model "
                    f"{model.name!r} with no residual units")
            names = [layer.name if getattr(layer, "stage", None) is None
                     or getattr(layer, "unit", None) is None
                     else f"stage{layer.stage}_unit{layer.unit}" for layer in units]
            extractor = functional_outputs(
                model, layer_inputs(model, units, "residual unit inputs"),
                "residual unit inputs")

            def block_norms(inputs):
                unit_inputs = output_list(extractor(inputs, training=False))
                norms = []
                for unit, x in zip(units, unit_inputs):
                    shortcut, branch = unit.residual_parts(x, training=False)
                    denominator = x if shortcut is None else shortcut
                    norms.append((_example_norms(denominator), _example_norms(branch)))
                return norms
        if len(set(names)) != len(names):
            raise ValueError(f"Expected distinct block names. Received: {names}")
        self.block_names = names
        self._block_norms = maybe_compile(block_norms)

    def compute_norms(self):
        """Per block name, the probe batch's (||s(x_k)||, ||L(x_k)||) as NumPy arrays."""
        self._ensure_prepared()
        norms = self._block_norms(self._probe)
        result = {}
        for name, (shortcut, branch) in zip(self.block_names, norms):
            shortcut = np.asarray(ops.convert_to_numpy(shortcut), np.float64)
            branch = np.asarray(ops.convert_to_numpy(branch), np.float64)
            if not (np.all(np.isfinite(shortcut)) and np.all(np.isfinite(branch))):
                raise ValueError(
                    f"BlockRatioLogger: expected finite activations in block {name!r} on "
                    "the probe batch. Received: NaN or inf (has the model diverged?)")
            result[name] = (shortcut, branch)
        return result

    def _measure(self, step):
        scalars = {}
        overall = 0.0
        for name, (shortcut, branch) in self.compute_norms().items():
            mean, maximum = ratio_statistics(shortcut, branch)
            scalars[f"block_ratio/{name}/mean"] = mean
            scalars[f"block_ratio/{name}/max"] = maximum
            overall = max(overall, maximum)
        scalars["block_ratio/max"] = overall
        self._record(step, scalars)
