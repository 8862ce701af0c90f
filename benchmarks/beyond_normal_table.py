"""The tables of `benchmarks/beyond_normal.py`: per task and per estimator, as Markdown.

Reads the records the runner appends (one JSON object per fit: task, estimator, seed,
num_samples, truth, value, seconds, trusted, ...) and writes the tables into a page
between two marker lines, replacing what was there (the rest of the page is kept).

Example:
    >>> from benchmarks.beyond_normal_table import within_band
    >>> within_band(0.30, 0.21), within_band(2.0, 1.75)
    (True, False)

Reference: Czyz et al. 2023 ("Beyond normal"), the benchmark's protocol; issue 33.
"""

import json
import math
import pathlib

import numpy as np

BEGIN = "<!-- beyond_normal table{}: begin (written by python -m benchmarks.beyond_normal) -->"
END = "<!-- beyond_normal table{}: end -->"
LABELS = {"mine-dv": "MINE-DV", "mine-nwj": "MINE-NWJ", "mine-infonce": "MINE-InfoNCE",
          "ksg": "KSG", "cca": "CCA", "copula": "Gaussian copula",
          "mine-dv-coordinates": "MINE-DV (no radius)",
          "mine-nwj-coordinates": "MINE-NWJ (no radius)",
          "mine-infonce-coordinates": "MINE-InfoNCE (no radius)",
          "mine-dv-radial": "MINE-DV, log radius"}


def within_band(truth, value):
    """The suite's band: |value - truth| <= max(10 % of the truth, 0.1 nats)."""
    return abs(value - truth) <= max(0.1 * truth, 0.1)


def load_records(path):
    """The records of the results file, one per (task, estimator, seed, num_samples): a
    key recorded twice (two runs at once) keeps its last record. A missing file has none;
    a torn line (a run killed while writing) is skipped."""
    path = pathlib.Path(path)
    if not path.exists():
        return []
    records = {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        key = tuple(record.get(k) for k in ("task", "estimator", "seed", "num_samples"))
        records.pop(key, None)  # the last one, in the order it was written
        records[key] = record
    return list(records.values())


def _cell(records):
    if not records:
        return "—"
    values = [r["value"] for r in records]
    spread = f" ± {np.std(values, ddof=1):.3f}" if len(values) > 1 else ""
    mean = float(np.mean(values))
    text = f"{mean:.3f}{spread} ({np.median([r['seconds'] for r in records]):.1f} s)"
    return text if within_band(records[0]["truth"], mean) else f"**{text}**"


def task_table(records, task_order, estimators):
    """Per task: the truth and each estimator's mean ± std over seeds (median time)."""
    names = [name for name in task_order if any(r["task"] == name for r in records)]
    lines = ["| task | truth | " + " | ".join(LABELS.get(e, e) for e in estimators) + " |",
             "|---|---|" + "---|" * len(estimators)]
    for name in names:
        rows = [r for r in records if r["task"] == name]
        cells = [_cell([r for r in rows if r["estimator"] == e]) for e in estimators]
        lines.append(f"| {name} | {rows[0]['truth']:.3f} | " + " | ".join(cells) + " |")
    return lines


def estimator_table(records, estimators):
    """Per estimator over its fits: share in the band, mean |error|, median time, the
    negative fits where the truth exceeds 0.2 nats, and the trust flag against the band."""
    lines = ["| estimator | fits | within max(10 %, 0.1 nats) | mean abs. error (nats) | "
             "median time per fit | negative (truth > 0.2) | in band: flagged | "
             "out of band: flagged |", "|---|---|---|---|---|---|---|---|"]
    for estimator in estimators:
        rows = [r for r in records if r["estimator"] == estimator]
        if not rows:
            continue
        inside = [within_band(r["truth"], r["value"]) for r in rows]
        flagged = [not r["trusted"] for r in rows]
        in_flagged = sum(f for f, i in zip(flagged, inside, strict=True) if i)
        out_flagged = sum(f for f, i in zip(flagged, inside, strict=True) if not i)
        error = np.mean([abs(r["value"] - r["truth"]) for r in rows])
        negative = sum(r["value"] < 0 and r["truth"] > 0.2 for r in rows)
        lines.append(
            f"| {LABELS.get(estimator, estimator)} | {len(rows)} | {sum(inside)}/{len(rows)} "
            f"({100 * sum(inside) / len(rows):.0f} %) | {error:.3f} | "
            f"{np.median([r['seconds'] for r in rows]):.2f} s | {negative} | "
            f"{in_flagged}/{sum(inside)} | {out_flagged}/{len(rows) - sum(inside)} |")
    return lines


def trust_table(records, estimators):
    """The 2 x 2 table of each estimator with a trust rule (MINE): in the band or not
    x flagged (`trusted` False) or not, as counts of fits."""
    lines = ["| estimator | in band, not flagged | in band, flagged | out of band, flagged "
             "| out of band, not flagged |", "|---|---|---|---|---|"]
    for estimator in estimators:
        rows = [r for r in records if r["estimator"] == estimator]
        if not rows or not estimator.startswith("mine"):
            continue
        cells = [sum(within_band(r["truth"], r["value"]) == inside
                     and (not r["trusted"]) == flagged for r in rows)
                 for inside, flagged in ((True, False), (True, True), (False, True),
                                         (False, False))]
        lines.append(f"| {LABELS.get(estimator, estimator)} | "
                     + " | ".join(map(str, cells)) + " |")
    return lines if len(lines) > 2 else []


def markers(name=""):
    """The (begin, end) marker lines of the table called `name` ("" or "all", ...)."""
    suffix = f" {name}" if name else ""
    return BEGIN.format(suffix), END.format(suffix)


def render(records, task_order, estimators, command, name=""):
    """The Markdown block (its markers included) for these records."""
    seeds = sorted({r["seed"] for r in records})
    sizes = sorted({r["num_samples"] for r in records})
    estimators = [e for e in estimators if any(r["estimator"] == e for r in records)]
    begin, end = markers(name)
    lines = [begin, "", f"Command: `{command}` — {len(records)} fits, seeds "
             f"{', '.join(map(str, seeds))}, N = {', '.join(map(str, sizes))} pairs per "
             "fit. Per task: mean ± std over seeds (median wall time per fit); **bold** = "
             "the mean is outside max(10 %, 0.1 nats) of the truth.", ""]
    lines += task_table(records, task_order, estimators)
    lines += ["", "Per estimator, over every fit above (flagged = `trusted` is False):", ""]
    lines += estimator_table(records, estimators)
    trust = trust_table(records, estimators)
    if trust:
        lines += ["", "The trust flag of the MINE fits above against the band (the rule of "
                  "`FitResult`, re-applied to each recorded fit), fits:", ""] + trust
    return "\n".join(lines + ["", end])


def write_into(page, block, name=""):
    """Replaces the block between the markers `name` of `page` (appends it when absent)."""
    page = pathlib.Path(page)
    text = page.read_text() if page.exists() else ""
    begin, end = markers(name)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    temporary = page.with_suffix(page.suffix + ".tmp")
    temporary.write_text(text)
    temporary.replace(page)


def finite(value):
    """JSON has no NaN: the std of one fit is stored as None."""
    return None if value is None or not math.isfinite(value) else float(value)
