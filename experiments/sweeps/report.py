"""The table of a sweep: per setting, mean ± std over seeds, in the papers' format.

`run(ReportConfig(log_dir=<sweep folder>))` reads `<log_dir>/sweep.json` (written by
`--sweep`) and, per run, its `results.json` (final and best test accuracy under the run's
evaluation protocol) and TensorBoard events (the constraint I(X;Ŷ) − I(Y;Ŷ) averaged
over all its measurements during training, as P2 Table 1 reports), then writes
`report.md`:

| setting | paper | best acc. % | final acc. % | constraint (nats) | seeds |

(mean ± sample std over the finished seeds), `report.json` with every number, and
TensorBoard HParams summaries under `<log_dir>/hparams` (`tensorboard --logdir <log_dir>`,
HParams tab) so the runs can be compared there.

Reference: P2 Tables 1-2 (best accuracy over evaluations, mean ± std over samples).
"""

import json
import math
import os
import pathlib

import numpy as np

from infodl.analysis.seed_statistics import mean_and_std
from infodl.run_folder.atomic import read_json, write_json_atomic
from infodl.run_folder.event_files import read_scalars

CONSTRAINT_TAG = "info/constraint_nats"
METRICS = ("best_test_accuracy", "final_test_accuracy", "constraint_mean_nats")


def _run_numbers(folder):
    """The numbers of one finished run, or None if it has no results yet."""
    path = pathlib.Path(folder) / "results.json"
    if not path.is_file():
        return None
    results = read_json(path, "delete it and rerun the sweep to redo that run")
    if results.get("complete") is False:
        return None
    accuracy = results.get("test_accuracy")
    constraint = [value for _, value in read_scalars(folder).get(CONSTRAINT_TAG, [])]
    return {"best_test_accuracy": results.get("best_test_accuracy", accuracy),
            "final_test_accuracy": results.get("final_test_accuracy", accuracy),
            "constraint_mean_nats": float(np.mean(constraint)) if constraint else None}


def _text(mean, std, scale=1.0, digits=2):
    if mean is None:
        return "—"
    if std is None:
        return f"{mean * scale:.{digits}f} (1 seed)"
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def _hparams(log_dir, plan, numbers):
    """One HParams session per run under <log_dir>/hparams, and the experiment config."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    root = os.path.join(log_dir, "hparams")
    varying = sorted({k for run in plan["runs"] for k in run["values"]
                      if k not in ("log_dir", "verbose") and len(
                          {json.dumps(r["values"].get(k)) for r in plan["runs"]}) > 1})
    with tf.summary.create_file_writer(root).as_default():
        hp.hparams_config(hparams=[hp.HParam(k) for k in varying] + [hp.HParam("setting")],
                          metrics=[hp.Metric(m) for m in METRICS])
    for run in plan["runs"]:
        found = numbers.get((run["setting"], run["seed"]))
        if found is None:
            continue
        folder = os.path.join(root, run["setting"], f"seed_{run['seed']}")
        values = {k: (",".join(map(str, v)) if isinstance(v, list) else v)
                  for k, v in run["values"].items() if k in varying}
        with tf.summary.create_file_writer(folder).as_default():
            hp.hparams(dict(values, setting=run["setting"]),
                       trial_id=f"{run['setting']}/seed_{run['seed']}")
            for metric in METRICS:
                if found[metric] is not None:
                    tf.summary.scalar(metric, found[metric], step=0)
    return root


def run(config):
    """Writes the sweep's table; returns {"table": Markdown, "rows": [...], paths}."""
    config.validate()
    log_dir = config.log_dir
    plan_path = os.path.join(log_dir, "sweep.json")
    if not os.path.isfile(plan_path):
        raise FileNotFoundError(f"Expected a sweep folder with sweep.json (made by --sweep). "
                                f"Received: {log_dir}")
    plan = read_json(plan_path, "rerun the sweep's command to write it again")
    numbers, rows = {}, []
    settings = list(dict.fromkeys(run["setting"] for run in plan["runs"]))
    for setting in settings:
        runs = [r for r in plan["runs"] if r["setting"] == setting]
        found = []
        for run_ in runs:
            values = _run_numbers(run_["folder"])
            if values is not None:
                numbers[(setting, run_["seed"])] = values
                found.append(values)
        row = {"setting": setting, "expected": runs[0].get("expected"),
               "seeds_finished": len(found), "seeds_planned": len(runs)}
        for metric in METRICS:
            row[metric] = mean_and_std([f[metric] for f in found])
        rows.append(row)
    lines = [f"# {plan.get('description') or 'Sweep'} ({plan['experiment']})", "",
             "Mean ± sample std over the finished seeds. Best: the highest test accuracy over "
             "the run's evaluations; final: the last one (under the run's eval_protocol); "
             "constraint: I(X;Ŷ) − I(Y;Ŷ) averaged over the measurements during training.",
             "", "| setting | paper | best acc. % | final acc. % | constraint (nats) | seeds |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['setting']} | {row['expected'] or '—'} | "
            f"{_text(*row['best_test_accuracy'], scale=100)} | "
            f"{_text(*row['final_test_accuracy'], scale=100)} | "
            f"{_text(*row['constraint_mean_nats'], digits=3)} | "
            f"{row['seeds_finished']}/{row['seeds_planned']} |")
    table = "\n".join(lines) + "\n"
    report_file = config.report_file or os.path.join(log_dir, "report.md")
    pathlib.Path(report_file).write_text(table)
    write_json_atomic(os.path.join(log_dir, "report.json"), {"rows": rows})
    hparams_dir = _hparams(log_dir, plan, numbers) if config.hparams else None
    return {"table": table, "rows": rows, "report_file": report_file,
            "hparams_dir": hparams_dir}


def summary(results):
    """The lines `run.py` prints: the table and where it went."""
    lines = results["table"].rstrip("\n").splitlines()
    lines.append(f"written to {results['report_file']}")
    if results["hparams_dir"]:  # the command line adds `tensorboard --logdir <log_dir>`
        lines.append(f"HParams summaries in {results['hparams_dir']}")
    if any(math.isnan(r["best_test_accuracy"][0] or 0.0) for r in results["rows"]):
        lines.append("warning: a run reported NaN accuracy")
    return lines
