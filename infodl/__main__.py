"""`python -m infodl`: the command line of `run.py` and of the console script `infodl`."""

from infodl.experiments.cli import main

if __name__ == "__main__":
    main()
