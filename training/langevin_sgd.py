"""Langevin SGD: gradient steps plus annealed Gaussian noise (P1 Claim 2.1)."""

import keras
from keras import ops

from infodl.checks import check_integer, check_non_negative, check_positive


@keras.saving.register_keras_serializable(package="infodl")
class LangevinSGD(keras.optimizers.Optimizer):
    """SGD with injected Gaussian noise and decaying step and noise sizes.

    At step t = 1, 2, ... every variable w is updated as

        w <- w - a_t * grad F(w) - b_t * B,    B ~ N(0, I) drawn afresh,
        a_t = learning_rate / (1 + (t - 1) / decay_steps) ** learning_rate_power,
        b_t = noise_scale   / (1 + (t - 1) / decay_steps) ** noise_power.

    The defaults (decay_steps=1, powers 1 and 1/2) give P1's Langevin Monte Carlo
    setting a_t = learning_rate / t, b_t = noise_scale / sqrt(t). With a zero
    gradient each weight performs a Gaussian random walk: after T steps its
    displacement has variance sum_{t<=T} b_t^2 (= noise_scale^2 * H_T by default,
    H_T the harmonic number). A larger `decay_steps` keeps a_t, b_t nearly constant
    for the first `decay_steps` steps, which a real training run needs.

    Args:
        learning_rate: float > 0, a_1.
        noise_scale: float >= 0, b_1 (0 gives plain SGD with a decaying step).
        decay_steps: float > 0, the time scale of the decay.
        learning_rate_power: float >= 0, exponent of the decay of a_t.
        noise_power: float >= 0, exponent of the decay of b_t.
        seed: int or None, seed of the noise.
        name: optimizer name; other keyword arguments go to keras.optimizers.Optimizer
            (weight_decay, clipnorm, ...).

    Returns:
        A Keras optimizer usable in `model.compile(optimizer=...)`.

    Example:
        model.compile(optimizer=LangevinSGD(learning_rate=0.1, noise_scale=1e-3,
                                            decay_steps=1000, seed=0),
                      loss="sparse_categorical_crossentropy")

    Reference: Zhao & Sun (P1), Claim 2.1, eq. (3) and (6) (a_t = 1/t, b_t = 1/sqrt(t)).
    """

    def __init__(self, learning_rate=0.01, noise_scale=0.01, decay_steps=1.0,
                 learning_rate_power=1.0, noise_power=0.5, seed=None,
                 name="langevin_sgd", **kwargs):
        if isinstance(learning_rate, (int, float)):  # else a schedule
            check_positive(learning_rate, "learning_rate")
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.noise_scale = check_non_negative(noise_scale, "noise_scale")
        self.decay_steps = check_positive(decay_steps, "decay_steps")
        self.learning_rate_power = check_non_negative(learning_rate_power,
                                                      "learning_rate_power")
        self.noise_power = check_non_negative(noise_power, "noise_power")
        self.seed = check_integer(seed, "seed", minimum=None, allow_none=True)
        self._noise_seed_generator = keras.random.SeedGenerator(seed)

    def _decay_factors(self, step):
        """((1 + (t-1)/decay_steps)^-learning_rate_power, ...^-noise_power) at step t."""
        decay = 1.0 + (ops.cast(step, "float32") - 1.0) / self.decay_steps
        return (ops.power(decay, -self.learning_rate_power),
                ops.power(decay, -self.noise_power))

    def step_sizes(self, step):
        """(a_t, b_t) at 1-based step t, as float32 tensors."""
        rate_factor, noise_factor = self._decay_factors(step)
        return (ops.cast(self.learning_rate, "float32") * rate_factor,
                self.noise_scale * noise_factor)

    def update_step(self, gradient, variable, learning_rate):
        """w <- w - a_t * gradient - b_t * N(0, I), t = iterations + 1."""
        rate_factor, noise_factor = self._decay_factors(self.iterations + 1)
        step_size = ops.cast(learning_rate, variable.dtype) * ops.cast(
            rate_factor, variable.dtype)
        update = step_size * ops.cast(gradient, variable.dtype)
        if self.noise_scale > 0:
            noise_size = ops.cast(self.noise_scale * noise_factor, variable.dtype)
            noise = keras.random.normal(ops.shape(variable), dtype=variable.dtype,
                                        seed=self._noise_seed_generator)
            update = update + noise_size * noise
        self.assign_sub(variable, update)

    def get_config(self):
        """Every constructor argument (and the base optimizer's)."""
        config = super().get_config()
        config.update({"noise_scale": self.noise_scale, "decay_steps": self.decay_steps,
                       "learning_rate_power": self.learning_rate_power,
                       "noise_power": self.noise_power, "seed": self.seed})
        return config
