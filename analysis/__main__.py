"""`python -m infodl.analysis --checkpoint=...`: `run.py --experiment=analyze --checkpoint=...`.

Every flag of the feature analysis (`experiments/analyze/config.py`) applies; run it
from the repository root.

Example:
    python -m infodl.analysis --checkpoint=runs/invnet_info --tsne_layers=hidden_1,features
"""

import sys

import run


def main():
    sys.argv = [sys.argv[0], "--experiment=analyze",
                *[arg for arg in sys.argv[1:] if not arg.startswith("--experiment=")]]
    run.entry_point()


if __name__ == "__main__":
    main()
