"""`python -m infodl.analysis --checkpoint=...`: the feature analysis of a saved model.

The command line of the package (`infodl.experiments.cli.main`) with
`--experiment=analyze`: every flag of the analysis applies
(`python -m infodl.analysis --help` lists them), from any folder.

Example:
    python -m infodl.analysis --checkpoint=runs/invnet_info --tsne_layers=hidden_1,features
"""

import sys


def main():
    """Runs the command line of the package as `--experiment=analyze`."""
    from infodl.experiments.cli import main as command_line

    sys.argv = [sys.argv[0], "--experiment=analyze",
                *[arg for arg in sys.argv[1:] if not arg.startswith("--experiment")]]
    command_line()


if __name__ == "__main__":
    main()
