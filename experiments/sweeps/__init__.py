"""Sweeps: a grid of runs from a YAML file, started here or on a Ray cluster, and its report.

`run.py --sweep=<file>` plans the runs (`infodl.experiments.sweeps.plan`) and starts them
on this machine (`local_launcher`) or on a Ray cluster (`ray_launcher`);
`run.py --experiment=report` prints the table of a sweep folder (`report`). The paper's
sweeps ship beside these modules (`p2_table1.yaml`, `p2_table2.yaml`).
"""

from infodl.lazy_exports import lazy_exports

_LAZY = {"ReportConfig": ".config", "SweepSettings": ".config"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
