"""MINE estimates of every layer's information-plane point (I(X;T), I(T;Y)), in nats."""

import numpy as np

from infodl import checks
from infodl.choices import MINE_STANDARDIZATIONS

from . import _checks
from .fit_arguments import check_fit_arguments


class MINELayerEstimator:
    """The information plane of a network's layers with MINE, one fit per quantity.

    For each layer T_k (activations on the inputs X, labels Y) two fresh `MINE`
    critics are trained with `fit_estimate` (held-out, cross-fitted Donsker-Varadhan
    lower bounds), and the negative estimates are clipped at 0:

        I(X;T_k) ≈ max(0, MINE(x, t_k)),    I(T_k;Y) ≈ max(0, MINE(t_k, onehot(y))).

    Unlike `BinningEstimator` and `KDEEstimator` it makes no assumption on T (no bins,
    no added noise): it measures the information of the continuous layer as a neural
    lower bound, which is slow (2 fits per layer) and noisy, and meant as a cross-check
    of the plug-in estimators. It has their `information_per_layer` interface, so
    `infodl.callbacks.InformationPlaneLogger` uses it as it uses them (`units` is "nats").

    Args:
        inputs: (N, ...) the network inputs X, in the order of the activations rows.
        steps: critic steps of each fit (`fit_estimate(steps=...)`).
        seed: seed of every critic's initialisation (`MINE(seed=...)`).
        hidden_units: hidden widths of the critics.
        batch_size: pairs per critic step.
        learning_rate: Adam learning rate of the critics.
        standardize: the critics' input map (`MINE(standardize=...)`): "whiten"
            (default), "scale", "gaussianize" (normal marginals first: for saturating
            or ReLU layers, whose marginals are far from Gaussian) or "none".
        fit_settings: further arguments of `MINE.fit_estimate` (a dict: eval_every,
            patience, min_delta, min_steps, restarts, ...; not steps, batch_size,
            learning_rate or verbose, set above); None: its defaults.

    Example:
        A noisy layer T = X + Z of X and Z standard normal, and labels Y = 1{X > 0}:
        I(X;T) = 1/2 log 2 ≈ 0.35 nats and I(T;Y) = log 2 - 1/2 ≈ 0.19 nats (numerical
        integration). Both fits stop early on their held-out curves: neither warns.

        >>> from infodl.estimators import MINELayerEstimator
        >>> rng = np.random.default_rng(0)
        >>> inputs = rng.normal(size=(1000, 1))
        >>> layer, labels = inputs + rng.normal(size=(1000, 1)), (inputs[:, 0] > 0).astype(int)
        >>> estimator = MINELayerEstimator(
        ...     inputs, steps=400, hidden_units=(8,), batch_size=64,
        ...     fit_settings={"eval_every": 20, "patience": 3, "min_delta": 0.02})
        >>> plane = estimator.information_per_layer([layer], labels)  # (I(X;T), I(T;Y)), nats
        >>> truth = np.array([0.5 * np.log(2), np.log(2) - 0.5])
        >>> plane.shape, bool(np.all(np.abs(plane - truth) < 0.1))
        ((1, 2), True)

    Reference: Belghazi et al. 2018 (MINE); P3 (Elad et al.) §3 and appendix C for
    MINE on a layer; the information plane of Shwartz-Ziv & Tishby 2017 / P1 §1.2.
    """

    units = "nats"

    def __init__(self, inputs, steps=4000, seed=0, hidden_units=(256, 256), batch_size=512,
                 learning_rate=1e-3, standardize="whiten", fit_settings=None):
        self.inputs = _checks.check_activations(inputs, "inputs").astype(np.float32)
        self.steps = checks.check_integer(steps, "steps")
        self.seed = checks.check_integer(seed, "seed", minimum=0)
        self.hidden_units = checks.check_integer_tuple(hidden_units, "hidden_units")
        self.batch_size = checks.check_integer(batch_size, "batch_size", minimum=2)
        self.learning_rate = checks.check_positive(learning_rate, "learning_rate")
        self.standardize = checks.check_choice(standardize, "standardize",
                                               MINE_STANDARDIZATIONS)
        self.fit_settings = check_fit_arguments(fit_settings, self._own_fit_arguments())

    def get_config(self):
        """Returns the constructor arguments except `inputs`."""
        return {"steps": self.steps, "seed": self.seed, "hidden_units": self.hidden_units,
                "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "standardize": self.standardize, "fit_settings": dict(self.fit_settings)}

    def _own_fit_arguments(self):
        """The `fit_estimate` arguments this estimator sets from its own."""
        return {"steps": self.steps, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate, "verbose": 0}

    def fit_estimate(self, x, y):
        """I(X;Y) in nats by one `MINE` fit at this estimator's settings (the call of
        every estimator of the package): an `Estimate` with MINE's `trusted`, not
        clipped at 0."""
        from infodl.estimators.mine import MINE  # Keras loads on the first estimate

        mine = MINE(hidden_units=self.hidden_units, seed=self.seed, standardize=self.standardize)
        return mine.fit_estimate(x, y, **self._own_fit_arguments(), **self.fit_settings)

    def information(self, activations, labels):
        """Returns (I(X;T), I(T;Y)) in nats for one layer, both >= 0.

        Args:
            activations: (N, ...) activations of one layer on `inputs`.
            labels: (N,) integer labels (or (N, C) one-hot rows) of `inputs`.
        """
        layer = _checks.check_activations(activations).astype(np.float32)
        if len(layer) != len(self.inputs):
            raise ValueError(f"Expected activations of the {len(self.inputs)} inputs. "
                             f"Received: {len(layer)} rows")
        label_ids = checks.check_class_labels(labels, len(layer))
        one_hot = np.eye(int(np.max(label_ids)) + 1, dtype=np.float32)[label_ids]
        return tuple(max(float(self.fit_estimate(s, t)), 0.0)
                     for s, t in ((self.inputs, layer), (layer, one_hot)))

    def information_per_layer(self, activations, labels):
        """Returns an (L, 2) array of (I(X;T), I(T;Y)) in nats for a list of L layers."""
        layers = _checks.check_layer_list(activations)
        return np.array([self.information(layer, labels) for layer in layers],
                        dtype=np.float64).reshape(len(layers), 2)
