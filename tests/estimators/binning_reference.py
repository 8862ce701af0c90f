"""The obvious NumPy binning plug-in estimate, the reference the binning tests compare with."""

import numpy as np


def reference_information(bin_indices, labels):
    """(I(X;T), I(T;Y)) in bits from bin indices: symbols = distinct rows
    (np.unique(axis=0)), then H(T) and H(T) - sum_y p(y) H(T | Y=y) class by class."""
    symbols = np.unique(bin_indices, axis=0, return_inverse=True)[1]
    symbols = symbols.reshape(-1)

    def entropy_bits(ids):
        probabilities = np.unique(ids, return_counts=True)[1] / ids.size
        return -np.sum(probabilities * np.log2(probabilities))

    h_t = entropy_bits(symbols)
    conditional = sum(np.mean(labels == y) * entropy_bits(symbols[labels == y])
                      for y in np.unique(labels))
    return h_t, h_t - conditional
