"""The input map of one side of MINE's critic: flatten, (log radius,) (Gaussianize,) standardize."""

import keras
import numpy as np
from keras import ops

from infodl import checks
from infodl.estimators import mi_bounds
from infodl.estimators.standardization import (
    GAUSSIANIZE_KNOTS,
    STANDARDIZE,
    gaussianize_features,
    gaussianized,
    normal_knots,
    quantile_knots,
    standardized,
    standardizing_transform,
    whitens,
)

# Seed of the noise draw that places the knots of a noisy "gaussianize" / "auto" map.
NOISE_SEED = 0


@keras.saving.register_keras_serializable(package="infodl")
class InputStandardizer(keras.layers.Layer):
    """An invertible map of one variable's samples, fitted to training samples by `adapt`.

        z = (g(x) - mean) W,   W = Sigma^(-1/2) ("whiten") or diag(1 / std) ("scale")

    where x is flattened to (n, d) and g is the identity, or ("gaussianize") the
    strictly increasing per-feature map to standard normal marginals
    (`standardization.gaussianized`), or ("auto", MINE's default) that map for the
    features whose marginal fails a normality check and the identity for the others
    (`standardization.gaussianize_features`; the choice is a variable, saved with the
    layer). "scale" divides each feature by its std, "global" every feature by one
    scale (the root of their mean variance). "whiten" uses per-feature scaling above 256
    features; "none" only flattens. Every map is invertible, so I(S; T) is unchanged
    while the critic sees centred, decorrelated inputs. Before `adapt` the map is the
    identity.

    With `noise_variance` sigma^2 > 0 the map is that of the noisy variable x + eps,
    eps ~ N(0, sigma^2 I), fitted on samples of x alone (P3's AA-MINE sees L + eps):
    the shift is x's mean, the covariance Sigma + sigma^2 I (a scale sqrt(s^2 + sigma^2)
    for "scale" and "global"); "gaussianize" and "auto" place their knots at the
    quantiles of x + eps drawn once with a fixed seed (`NOISE_SEED`).

    With `log_radius` one feature is appended before the map,

        x -> [x, log(1 + |(x - m) / s|^2)],   m, s the training mean and std per feature,

    a function of x (the map stays injective, I(S; T) unchanged) that hands the critic
    the radius on which heavy-tailed (multivariate t) and rotated (spiral) dependence
    lives; the map then runs on d + 1 features.

    Args:
        mode: "whiten", "scale", "global", "gaussianize", "auto" or "none".
        noise_variance: sigma^2 >= 0 of the noise the mapped samples carry (0: none).
        log_radius: append the log radius feature (default False; `MINE`'s default
            is True for given pairs).
        **kwargs: standard layer arguments (name, dtype, ...).

    Returns:
        Called on (n, ...) samples, the (n, d) standardized features ((n, d + 1) with
        `log_radius`).

    Example:
        >>> from infodl.estimators.input_standardizer import InputStandardizer
        >>> x = np.random.default_rng(0).normal(3.0, 2.0, (500, 2)).astype("float32")
        >>> standardizer = InputStandardizer("whiten")
        >>> standardizer.adapt(x)
        >>> z = np.asarray(standardizer(x))
        >>> bool(np.allclose(np.cov(z, rowvar=False), np.eye(2), atol=1e-3))
        True

    Reference: mutual information is invariant under invertible maps of each variable
    (Cover & Thomas, Elements of Information Theory, section 8.6); P3 (Elad et al.)
    appendix C (MINE's critic inputs).
    """

    def __init__(self, mode="whiten", noise_variance=0.0, log_radius=False, **kwargs):
        super().__init__(**kwargs)
        self.mode = checks.check_choice(mode, "mode", STANDARDIZE)
        self.noise_variance = checks.check_non_negative(noise_variance, "noise_variance")
        self.log_radius = checks.check_bool(log_radius, "log_radius")
        if self.log_radius and self.noise_variance:
            raise ValueError("Expected log_radius=False with noise_variance > 0 (the radius "
                             "of x + eps is not fitted). Received: log_radius=True, "
                             f"noise_variance={noise_variance}")
        self.knots = self.shift = self.transform = self.gaussianized_features = None
        self.radius_center = self.radius_scale = None
        self.restored_by_owner = False

    def build(self, input_shape):
        width = int(np.prod(tuple(input_shape)[1:]))
        if self.log_radius:  # before `adapt`: the radius of x itself
            self.radius_center = self.add_weight(shape=(width,), initializer="zeros",
                                                 trainable=False, name="radius_center")
            self.radius_scale = self.add_weight(shape=(width,), initializer="ones",
                                                trainable=False, name="radius_scale")
            width += 1
        if self.mode in ("gaussianize", "auto"):
            def identity_knots(shape, dtype=None):  # before `adapt`: the identity map
                return ops.cast(ops.tile(normal_knots(shape[0])[:, None], (1, shape[1])),
                                dtype)
            self.knots = self.add_weight(shape=(GAUSSIANIZE_KNOTS, width),
                                         initializer=identity_knots, trainable=False,
                                         name="knots")
        if self.mode == "auto":  # 1 = through the knots, 0 = identity; before adapt: 0
            self.gaussianized_features = self.add_weight(
                shape=(width,), initializer="zeros", trainable=False,
                name="gaussianized_features")
        if self.mode != "none":
            self.shift = self.add_weight(shape=(width,), initializer="zeros",
                                         trainable=False, name="shift")
            matrix = whitens(self.mode, width)
            self.transform = self.add_weight(
                shape=(width, width) if matrix else (width,),
                initializer="identity" if matrix else "ones", trainable=False,
                name="whitening" if matrix else "scale")

    def call(self, values):
        values = mi_bounds.flatten_samples(values)
        if self.radius_center is not None:
            values = with_log_radius(values, self.radius_center, self.radius_scale)
        if self.gaussianized_features is not None:
            chosen = self.gaussianized_features > 0.5
            if self.radius_center is None:
                values = _through_chosen_knots(values, self.knots, chosen)
            else:  # features and radius apart: Gaussian features skip the map
                knots = ops.convert_to_tensor(self.knots)
                values = ops.concatenate([
                    _through_chosen_knots(values[:, :-1], knots[:, :-1], chosen[:-1]),
                    _through_chosen_knots(values[:, -1:], knots[:, -1:], chosen[-1:])],
                    axis=1)
        elif self.knots is not None:
            values = gaussianized(values, self.knots)
        if self.shift is not None:
            values = standardized(values, self.shift, self.transform)
        return values

    def adapt(self, values):
        """Fits the map to (n, ...) training samples (NumPy).

        "whiten": W = Sigma^(-1/2) (symmetric, eigenvalues floored at 1e-6 of the
        largest); "scale": 1 / std per feature (a constant feature keeps 1); "global":
        1 / s for every feature, s^2 their mean variance;
        "gaussianize": the knots at the training quantiles, then "whiten" on the
        mapped samples; "auto": the knots, the features to map
        (`gaussianize_features`), then "whiten"; "none": nothing.
        """
        values = np.asarray(values, "float64").reshape(len(values), -1)
        if not self.built:
            self.build(values.shape)
        if self.radius_center is not None:
            center, scale = values.mean(axis=0), values.std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
            self.radius_center.assign(center.astype("float32"))
            self.radius_scale.assign(scale.astype("float32"))
            values = np.asarray(with_log_radius(
                ops.convert_to_tensor(values, "float32"), self.radius_center,
                self.radius_scale)).astype("float64")
        noise_variance = self.noise_variance
        if self.knots is not None and noise_variance:  # the quantiles of x + eps
            rng = np.random.default_rng(NOISE_SEED)
            values = values + rng.normal(0.0, np.sqrt(noise_variance), values.shape)
            noise_variance = 0.0  # now in the samples
        if self.knots is not None:
            knots = quantile_knots(values, self.knots.shape[0])
            self.knots.assign(knots)
            mapped = ops.convert_to_numpy(gaussianized(
                ops.convert_to_tensor(values, "float32"), self.knots)).astype("float64")
            if self.gaussianized_features is None:
                values = mapped
            else:
                chosen = gaussianize_features(values, knots)
                self.gaussianized_features.assign(chosen.astype("float32"))
                values = np.where(chosen, mapped, values)
        if self.shift is not None:
            self.shift.assign(values.mean(axis=0).astype("float32"))
            self.transform.assign(standardizing_transform(
                values, len(self.transform.shape) == 2, noise_variance=noise_variance,
                pooled=self.mode == "global").astype("float32"))

    def assign_variables(self, values):
        """Sets the variables (knots, shift, transform order) from an owner's store:
        `MINE` files saved before this layer existed kept them among its own."""
        for variable, value in zip(self.weights, values, strict=True):
            variable.assign(value)
        self.restored_by_owner = True

    def load_own_variables(self, store):
        if self.restored_by_owner and not list(store.keys()):
            return  # set by the owner from a file that predates this layer
        super().load_own_variables(store)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(tuple(input_shape)[1:])) + self.log_radius)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, noise_variance=self.noise_variance,
                      log_radius=self.log_radius)
        return config


def with_log_radius(values, center, scale):
    """[x, log(1 + |(x - center) / scale|^2)]: (n, d) features and their log radius.

    Example:
        >>> from infodl.estimators.input_standardizer import with_log_radius
        >>> x = np.array([[3.0, 4.0], [0.0, 0.0]], "float32")
        >>> features = np.asarray(with_log_radius(x, np.zeros(2), np.ones(2)), "float64")
        >>> np.round(features, 4).tolist()    # log(1 + 25) = 3.2581
        [[3.0, 4.0, 3.2581], [0.0, 0.0, 0.0]]
    """
    values = ops.convert_to_tensor(values, "float32")
    scaled = (values - ops.cast(center, values.dtype)) / ops.cast(scale, values.dtype)
    radius = ops.log1p(ops.sum(ops.square(scaled), axis=1, keepdims=True))
    return ops.concatenate([values, radius], axis=1)


def _through_chosen_knots(values, knots, chosen):
    """The chosen columns of (n, d) values through `gaussianized`, the others as they are.

    A conditional, not a `where` of both: when no column is chosen (Gaussian features)
    the quantile map is not computed (it was about half of a default critic step's time
    at d = 5; docs/estimators.md, "Speed"). The map is per column, so a block of columns
    mapped alone gets the numbers the whole would.
    """
    mapped = concrete_bool(ops.any(chosen))
    if mapped is None:  # traced: the branch is taken at run time
        return ops.cond(ops.any(chosen),
                        lambda: ops.where(chosen, gaussianized(values, knots), values),
                        lambda: values)
    if mapped:  # eager: a Python branch (an eager JAX `cond` compiles each call)
        return ops.where(chosen, gaussianized(values, knots), values)
    return values


def concrete_bool(value):
    """`bool(value)` when the value is concrete (eager), None while it is traced.

    A traced tensor (inside `tf.function` or `jax.jit`) has no value yet: TensorFlow and
    JAX both raise a `TypeError` subclass on `bool()` of one.

    Example:
        >>> from infodl.estimators.input_standardizer import concrete_bool
        >>> concrete_bool(np.array(True)), concrete_bool(np.array(0.0))
        (True, False)
    """
    try:
        return bool(value)
    except TypeError:
        return None
