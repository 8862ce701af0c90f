"""The entry point of a checkout: `python run.py --model=resnet32 --alpha2=0.03`.

The same command line ships with the package as the console script `infodl` and as
`python -m infodl`; all three call `infodl.experiments.cli.main`, whose docstring lists
the flags' sources and the exit codes.

    python run.py --model=resnet32 --alpha2=0.03                      # P2 on CIFAR-10
    python run.py --model=resnet32 --alpha2=0.03 --dataset=synthetic --train_steps=50
    python run.py --experiment=info_plane --activation=tanh           # P1 / Shwartz-Ziv & Tishby
"""

from infodl.experiments.cli import main

if __name__ == "__main__":
    main()
