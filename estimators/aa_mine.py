"""AA-MINE: MINE whose critic passes x through the network's own layers 1..i."""

import numbers

import keras

from infodl import checks
from infodl.estimators.layer_pair_sampler import LayerPairSampler
from infodl.estimators.mine import MINE
from infodl.paper_constants import IB_NOISE_VARIANCE


@keras.saving.register_keras_serializable(package="infodl")
class ArchitectureAwareMINE(MINE):
    """Architecture-aware MINE of I(X; L_i + eps), L_i = F_i(X), eps ~ N(0, sigma^2 I).

    `MINE` composed with a `LayerPairSampler`: that part draws the pairs and shows
    the critic F_i(x); the critics, standardization, bound and fit are MINE's.

    The critic is D(x, t) = head([F_i(x), t]): x goes through layers 1..i of
    `network` with its current weights (shared, no noise, and not trained by the
    critic optimizer: gradients stop at F_i(x) on the critic side), then the MLP
    head sees the concatenation. Joint pairs are (x, F_i(x) + eps), marginal pairs
    (x, F_i(x') + eps) with x' a shuffled x, and eps is drawn afresh each call.
    The bound (default Donsker-Varadhan) and its training are those of `MINE`:
    I(X; L_i + eps) >= E_P[D] - log E_Q[e^D]. Gradients reach the network's
    weights through t = F_i(x) + eps (for IB training). With `standardize` the
    head's inputs F_i(x) and t are standardized with statistics of the training x
    (an invertible map of each side: the information is unchanged).

    Bad input: NaN/inf in x or in layer i's activations, fewer than 2 samples, x and
    t of different lengths, and noise_variance <= 0 raise ValueError; a constant
    layer i (or constant x) makes t independent of x, and `fit_estimate` returns 0.0.

    Args:
        network: a built Keras model with defined inputs (functional or Sequential).
        layer: name of layer i, or its index in `network.layers`.
        noise_variance: sigma^2 > 0 of the Gaussian noise (P3 §4: `IB_NOISE_VARIANCE`);
            NumPy scalars are accepted.
        hidden_units: widths of the MLP head (default (256, 256); P3 appendix C:
            `infodl.paper_constants.PAPER_CRITIC_HIDDEN_UNITS`).
        **kwargs: further `MINE` arguments (bound, ema_decay, seed, critic,
            standardize, name).

    Returns:
        `estimate(x)` / `fit_estimate(x)`: I(X; L_i + eps) in nats on held-out x.

    Example:
        >>> from infodl.estimators import ArchitectureAwareMINE
        >>> network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="dense_1"),
        ...                             keras.layers.Dense(1)])
        >>> x = np.random.default_rng(0).normal(size=(300, 2)).astype("float32")
        >>> aa_mine = ArchitectureAwareMINE(network, layer="dense_1", noise_variance=2.0,
        ...                                 hidden_units=(8,), seed=0)
        >>> value = aa_mine.fit_estimate(x, steps=400, batch_size=64, eval_every=20,
        ...                              patience=3, min_delta=0.02, restarts=2, verbose=0)
        >>> value == aa_mine.last_fit.value, value.trusted
        (True, True)

    Reference: P3 (Elad et al.) section 4, Fig. 1, appendix A (algorithm) and C.
    """

    def __init__(self, network, layer, noise_variance=IB_NOISE_VARIANCE, hidden_units=None,
                 **kwargs):
        if isinstance(network, dict):
            network = keras.saving.deserialize_keras_object(network)
        if not isinstance(network, keras.Model):
            raise ValueError(f"Expected network to be a keras.Model. Received: {type(network)}")
        noise_variance = checks.check_positive(noise_variance, "noise_variance")
        # P3's critic sees the features as they are: no log radius unless asked.
        super().__init__(hidden_units=hidden_units, **{"log_radius": False, **kwargs})
        self.network = network
        self.layer = layer
        self.noise_variance = noise_variance
        if isinstance(layer, str):
            target = network.get_layer(name=layer)
        elif (isinstance(layer, numbers.Integral) and not isinstance(layer, bool)
              and -len(network.layers) <= layer < len(network.layers)):
            self.layer = int(layer)
            target = network.layers[self.layer]
        else:
            raise ValueError(f"Expected a layer name or an index below "
                             f"{len(network.layers)}. Received: layer={layer!r}")
        try:
            inputs = network.inputs
        except (AttributeError, ValueError) as error:
            raise ValueError("Expected a built network with defined inputs (call it on "
                             f"data or give it keras.Input). Received: {network.name}") from error
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        self.feature_extractor = keras.Model(inputs, target.output, name="layers_1_to_i")
        self.pair_sampler = LayerPairSampler(self.feature_extractor, noise_variance,
                                             self.seed_generator, self.layer)

    @property
    def trainable_variables(self):
        """Only the critic heads are trained: layers 1..i belong to `network`."""
        if not self.trainable:
            return []
        return [v for critic in self.critics for v in critic.trainable_variables]

    @property
    def trainable_weights(self):
        return self.trainable_variables

    @property
    def non_trainable_variables(self):
        """Everything else, the network's weights included: a compiled step (JAX)
        then reads their current values instead of a copy taken when it was traced."""
        trainable = {id(variable) for variable in self.trainable_variables}
        return [variable for variable in self.variables if id(variable) not in trainable]

    @property
    def non_trainable_weights(self):
        trainable = {id(variable) for variable in self.trainable_variables}
        return [variable for variable in self.weights if id(variable) not in trainable]

    def sample_pairs(self, x, training=False):
        """Joint pairs (x, t), t = F_i(x) + eps with fresh eps ~ N(0, sigma^2 I)."""
        return self.pair_sampler.sample(x, training=training)

    def layer_features(self, x, batch_size=4096):
        """F_i(x) as a NumPy array, computed in batches (NaN/inf raise ValueError)."""
        return self.pair_sampler.feature_array(x, batch_size)

    def estimate(self, x, t=None, batch_size=None, num_shuffles=None, seed=None):
        """Held-out bound (nats) on (x, t); t = F_i(x) + fresh noise when omitted."""
        return super().estimate(x, t, batch_size=batch_size, num_shuffles=num_shuffles,
                                seed=seed)

    def get_config(self):
        config = super().get_config()
        config.update(network=keras.saving.serialize_keras_object(self.network),
                      layer=self.layer, noise_variance=self.noise_variance)
        return config
