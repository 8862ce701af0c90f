"""The papers' constants, each written once with the paper and section it comes from.

Every default that is a paper's number imports it from here, so that a reader finds
where it comes from in one place and a change reaches every user of it.

Example:
    >>> from infodl.paper_constants import PAPER_CRITIC_HIDDEN_UNITS, IB_NOISE_VARIANCE
    >>> len(PAPER_CRITIC_HIDDEN_UNITS), PAPER_CRITIC_HIDDEN_UNITS[0], IB_NOISE_VARIANCE
    (2, 1500, 2.0)
    >>> from infodl.estimators import MINE
    >>> paper_mine = MINE(hidden_units=PAPER_CRITIC_HIDDEN_UNITS)  # P3's critic
"""

# P2 (Information Regularized Neural Networks), appendix E: the l1 term on the
# classifier w is applied every 30 iterations.
L1_EVERY = 30

# P3 (Elad et al., layer-by-layer IB training), appendix C: the MINE / AA-MINE critic
# is an MLP on [s, t] with two hidden layers of 1500 units.
PAPER_CRITIC_HIDDEN_UNITS = (1500, 1500)

# P3 §4 and appendix C: the variance sigma^2 of the Gaussian noise eps in the
# noise-regularized information I(X; L + eps).
IB_NOISE_VARIANCE = 2.0

# P1 §1.2 after Shwartz-Ziv & Tishby (2017): activations binned into 30 equal bins.
BINNING_NUM_BINS = 30
