"""Standardization of MINE's critic inputs: whitening or per-feature scaling.

Each side (s, or t) is mapped by x -> (x - mean) W, an invertible affine map, so
I(S; T) is unchanged while the critic sees inputs with zero mean and

- "whiten": identity covariance, W = Sigma^(-1/2) (ZCA, symmetric; eigenvalues of
  Sigma floored at 1e-6 of the largest), for inputs up to 256 features;
- "scale": unit variance per feature, W = diag(1 / std) (a constant feature keeps 1),
  also used by "whiten" above 256 features (a d x d product per step would cost
  more than the critic's first layer);
- "none": no map.

Example:
    >>> transform = standardizing_transform(x, whiten=True)   # (d, d)
    >>> white = standardized(x, x.mean(axis=0), transform)    # cov ~ identity

Reference: mutual information is invariant under invertible maps of each variable
(Cover & Thomas, Elements of Information Theory, section 8.6).
"""

import numpy as np
from keras import ops

STANDARDIZE = ("whiten", "scale", "none")
WHITEN_MAX_DIM = 256
WHITEN_EIGENVALUE_FLOOR = 1e-6


def whitens(mode, width):
    """Whether an input of `width` features gets a (d, d) whitening matrix."""
    return mode == "whiten" and width <= WHITEN_MAX_DIM


def standardizing_transform(values, whiten):
    """Sigma^(-1/2) of the samples (whiten) or 1 / std per feature (std 0 -> 1)."""
    if not whiten:
        std = values.std(axis=0)
        return 1.0 / np.where(std > 0, std, 1.0)
    covariance = np.atleast_2d(np.cov(values, rowvar=False))
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    largest = max(float(eigenvalues[-1]), 0.0)
    if largest == 0.0:  # every feature constant
        return np.eye(len(covariance))
    floored = np.maximum(eigenvalues, WHITEN_EIGENVALUE_FLOOR * largest)
    return (eigenvectors / np.sqrt(floored)) @ eigenvectors.T


def standardized(values, shift, transform):
    """(values - shift) W: a matrix product for a (d, d) transform, else a scaling."""
    centered = values - shift
    if len(transform.shape) == 2:
        return ops.matmul(centered, transform)
    return centered * transform
