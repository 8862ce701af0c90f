"""`python -m infodl.analysis --checkpoint=...`: the feature analysis of a saved model.

The command line of the package (`infodl.experiments.cli.main`) as
`--experiment=analyze`: every flag of the analysis applies
(`python -m infodl.analysis --help` lists them), from any folder.

Example:
    python -m infodl.analysis --checkpoint=runs/invnet_info --tsne_layers=hidden_1,features
"""


def main():
    """Runs the command line of the package as `--experiment=analyze`."""
    from infodl.experiments.cli import main as command_line

    command_line(experiment="analyze")


if __name__ == "__main__":
    main()
