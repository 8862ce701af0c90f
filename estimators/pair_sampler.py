"""Where MINE's sample pairs come from: given by the caller as (s, t)."""

import numpy as np
from keras import ops

from infodl.estimators import mi_bounds
from infodl.estimators.mine_fit import is_constant

# A 1-D integer array with more distinct values is refused (a count, not labels).
MAX_LABEL_CLASSES = 1024


class PairSampler:
    """The pairs (s, t) of `MINE`, and the first variable's critic input.

    MINE estimates I(S; T) from joint samples (s_i, t_i); the critic sees
    [features(s), t] (both then standardized). Here the caller gives both sides and
    features(s) = s. A 1-D float array is one feature, (n,) -> (n, 1), as
    scikit-learn reads a 1-D target; a 1-D integer (or bool) array is class labels,
    one-hot encoded over the classes present: an invertible map, so I(S; T) is
    unchanged and the estimate is that of the user's own one-hot rows.
    `ArchitectureAwareMINE` composes `MINE` with a `LayerPairSampler`, which draws
    t = F_i(x) + eps itself and shows the critic F_i(x): every difference between
    the two estimators lives in these methods.

    Example:
        >>> from infodl.estimators.pair_sampler import PairSampler
        >>> sampler = PairSampler()
        >>> s, t = sampler.validate(np.arange(3.0), np.ones((3, 2)))
        >>> s.shape, t.shape          # a 1-D array is one feature
        ((3, 1), (3, 2))
        >>> sampler.widths([(None, 4), (None, 2)])
        (4, 2)
        >>> sampler.carries_no_information(s, t)   # t is constant
        True
        >>> labels, _ = sampler.validate(np.array([2, 0, 2]), np.zeros(3))
        >>> labels.tolist()
        [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]

    Reference: Belghazi et al. 2018 (MINE), section 3.1 (joint and marginal samples).
    """

    def split(self, inputs):
        """A model input -> (first, second): (s, t), or (x, None) for one array."""
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 2:
                raise ValueError("Expected inputs (s, t). Received: a tuple of "
                                 f"{len(inputs)} items")
            return inputs[0], inputs[1]
        return inputs, None

    def widths(self, input_shape):
        """(critic input width of the first variable, width of the second)."""
        if not input_shape or not isinstance(input_shape[0], (list, tuple)):
            raise ValueError("Expected pairs (s, t) for MINE. Received: t=None")
        first_shape, second_shape = (tuple(shape) for shape in input_shape)
        return (int(np.prod(first_shape[1:])),
                int(np.prod(second_shape[1:])) if len(second_shape) > 1 else 1)

    def validate(self, first, second):
        """Checks NumPy samples (finite, same length, >= 2) -> float32 arrays; 1-D
        integer labels are one-hot encoded.

        Raises:
            ValueError: bad samples, or integer labels of more than
                `MAX_LABEL_CLASSES` classes (cast them to float for one feature).
        """
        return mi_bounds.check_pairs(one_hot_labels(first, "s"), one_hot_labels(second, "t"))

    def complete(self, first, second):
        """Joint pairs as tensors; here both sides must be given."""
        if second is None:
            raise ValueError("Expected pairs (s, t) for MINE. Received: t=None")
        return first, second

    def complete_arrays(self, first, second):
        """Joint pairs as NumPy arrays (validated samples)."""
        return first, second

    def features(self, first, training=False):
        """The critic input of the first variable, as a tensor (here s itself)."""
        return ops.convert_to_tensor(first)

    def feature_array(self, first):
        """`features` of NumPy samples, as NumPy (for `adapt`)."""
        return np.asarray(first)

    def carries_no_information(self, first, second):
        """True when s or t is constant (every sample equal): then I(S; T) = 0."""
        return is_constant(first) or is_constant(second)


def one_hot_labels(values, name):
    """A 1-D integer or bool array -> (n, C) one-hot rows of its C distinct values
    (in sorted order); anything else is returned unchanged."""
    array = np.asarray(values) if values is not None else None
    if array is None or array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer)
                                                or array.dtype == bool):
        return values
    classes, index = np.unique(array, return_inverse=True)
    if len(classes) > MAX_LABEL_CLASSES:
        raise ValueError(f"Expected at most {MAX_LABEL_CLASSES} distinct integer labels in "
                         f"{name} (they are one-hot encoded; cast {name} to float for one "
                         f"numeric feature). Received: {len(classes)} distinct values")
    return np.eye(len(classes), dtype="float32")[index.reshape(-1)]
