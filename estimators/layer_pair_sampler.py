"""AA-MINE's pairs: x with t = F_i(x) + eps, and F_i(x) as the critic's first input."""

import math

import keras
import numpy as np
from keras import ops

from infodl.estimators import mi_bounds
from infodl.estimators.pair_sampler import PairSampler


class LayerPairSampler(PairSampler):
    """Pairs (x, t) with t = F_i(x) + eps, eps ~ N(0, sigma^2 I), drawn when t is omitted.

    The critic's first input is F_i(x), layers 1..i of the network with its current
    weights, under `stop_gradient` (the critic optimizer never trains the network);
    gradients still reach the network through t = F_i(x) + eps.

    Args:
        feature_extractor: a Keras model x -> F_i(x) (layers 1..i).
        noise_variance: sigma^2 > 0.
        seed_generator: the `keras.random.SeedGenerator` of the noise.
        layer: the name or index of layer i (for error messages).

    Example:
        >>> from infodl.estimators.layer_pair_sampler import LayerPairSampler
        >>> inputs = keras.Input((2,))
        >>> extractor = keras.Model(inputs, keras.layers.Dense(3)(inputs))
        >>> sampler = LayerPairSampler(extractor, 0.5, keras.random.SeedGenerator(0), "dense")
        >>> x, t = sampler.complete_arrays(np.zeros((4, 2), "float32"), None)
        >>> t.shape, sampler.widths((None, 2))
        ((4, 3), (3, 3))

    Reference: P3 (Elad et al.) section 4, Fig. 1 (AA-MINE), appendix A.
    """

    def __init__(self, feature_extractor, noise_variance, seed_generator, layer):
        self.feature_extractor = feature_extractor
        self.noise_std = math.sqrt(noise_variance)
        self.seed_generator = seed_generator
        self.layer = layer

    def widths(self, input_shape):
        width = int(np.prod(tuple(self.feature_extractor.output.shape)[1:]))
        if input_shape and isinstance(input_shape[0], (list, tuple)):  # (x, t) shapes
            return width, super().widths(input_shape)[1]
        return width, width

    def validate(self, first, second):
        if second is not None:
            return mi_bounds.check_pairs(first, second, "x", "t", first_any_rank=True)
        first = mi_bounds.check_samples(first, "x", any_rank=True)
        if len(first) < 2:
            raise ValueError("Expected at least 2 samples of x (marginal pairs need a "
                             f"shuffle). Received: {len(first)} sample(s)")
        return first, None

    def sample(self, x, training=False):
        """Joint pairs (x, t), t = F_i(x) + eps with fresh eps, as tensors."""
        x = ops.convert_to_tensor(x)
        features = self.feature_extractor(x, training=training)
        noise = keras.random.normal(ops.shape(features), stddev=self.noise_std,
                                    seed=self.seed_generator, dtype=features.dtype)
        return x, features + noise

    def complete(self, first, second):
        return self.sample(first) if second is None else (first, second)

    def complete_arrays(self, first, second):
        if second is not None:
            return first, second
        features = self.feature_array(first)
        noise = keras.random.normal(features.shape, stddev=self.noise_std,
                                    seed=self.seed_generator, dtype=features.dtype)
        return first, features + np.asarray(noise)

    def features(self, first, training=False):
        return ops.stop_gradient(self.feature_extractor(first, training=False))

    def feature_array(self, first, batch_size=4096):
        """F_i(x) as a NumPy array, computed in batches.

        Raises:
            ValueError: if layer i gives NaN/inf for some x (a diverged network).
        """
        features = np.concatenate(
            [np.asarray(self.feature_extractor(first[i:i + batch_size], training=False))
             for i in range(0, len(first), batch_size)], axis=0)
        bad = int(features.size - np.count_nonzero(np.isfinite(features)))
        if bad:
            raise ValueError(f"Expected finite activations of layer {self.layer!r}. "
                             f"Received: {bad} NaN/inf entries for {len(first)} inputs")
        return features

    def carries_no_information(self, first, second):
        """A constant x or layer i (t = constant + eps, independent of x): I = 0."""
        return super().carries_no_information(
            first, self.feature_array(first) if second is None else second)
