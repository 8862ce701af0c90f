"""`python -m benchmarks.beyond_normal`: resumable records, the docs tables, the CCA baseline."""

import json
import math

import numpy as np
import pytest

from benchmarks import beyond_normal, beyond_normal_table
from benchmarks.beyond_normal_tasks import TASKS
from infodl.estimators import GaussianCopulaEstimator
from infodl.estimators.fit_result import copula_value, radius_bound

TWO_TASKS = "Normal 1x1,Multinormal 3x3 (dense)"


def _run(tmp_path, *extra):
    results, docs = tmp_path / "results.jsonl", tmp_path / "page.md"
    beyond_normal.main(["--estimators", "ksg,cca", "--tasks", TWO_TASKS, "--num_samples", "400",
                        "--results", str(results), "--docs", str(docs), *extra])
    return results, docs


def test_records_append_resume_and_fill_the_docs_tables(tmp_path, capsys):
    (tmp_path / "page.md").write_text("# Page\n\nkept text\n")
    results, docs = _run(tmp_path, "--seeds", "0,1")
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(records) == 8  # 2 tasks x 2 estimators x 2 seeds
    assert {(r["task"], r["estimator"], r["seed"]) for r in records} == {
        (t, e, s) for t in TWO_TASKS.split(",") for e in ("ksg", "cca") for s in (0, 1)}
    for record in records:
        assert record["truth"] == TASKS[record["task"]].truth and record["num_samples"] == 400
        assert "/" not in json.dumps({k: v for k, v in record.items() if k != "task"})
    first_page = docs.read_text()
    assert first_page.startswith("# Page\n\nkept text\n")
    begin, end = beyond_normal_table.markers()
    assert begin in first_page and end in first_page and "| Normal 1x1 | 0.413 |" in first_page
    assert '--tasks "Normal 1x1,Multinormal 3x3 (dense)" --estimators ksg,cca --seeds 0,1 ' \
           "--num_samples 400" in first_page
    _run(tmp_path, "--seeds", "0,1")  # everything done: nothing appended
    assert len(results.read_text().splitlines()) == 8
    _run(tmp_path, "--seeds", "0,2")  # only seed 2 is new; the table shows seeds 0 and 2
    assert len(results.read_text().splitlines()) == 12
    page = docs.read_text()
    assert page.count(begin) == 1 and "8 fits, seeds 0, 2," in page
    _run(tmp_path, "--seeds", "0", "--all", "--estimators", "cca")  # its own block
    page = docs.read_text()
    assert page.count(begin) == 1 and page.count(beyond_normal_table.markers("all")[0]) == 1
    all_block = page.split(beyond_normal_table.markers("all")[0])[1]
    assert "--all --estimators cca --seeds 0" in all_block and "40 fits" in all_block


def test_tables_count_the_band_errors_times_and_flags():
    records = [
        {"task": "A", "estimator": "ksg", "seed": s, "num_samples": 10, "truth": 1.0,
         "value": v, "seconds": t, "trusted": ok}
        for s, v, t, ok in ((0, 1.05, 1.0, True), (1, 0.7, 3.0, False), (2, -0.1, 2.0, False))]
    block = beyond_normal_table.render(records, ["A"], ["ksg", "cca"], "cmd")
    mean, std = np.mean([1.05, 0.7, -0.1]), np.std([1.05, 0.7, -0.1], ddof=1)
    assert f"| A | 1.000 | **{mean:.3f} ± {std:.3f} (2.0 s)** |" in block
    # 1 of 3 in the band, mean |error| (0.05 + 0.3 + 1.1) / 3, median 2 s, 1 negative,
    # in band 0 of 1 flagged, out of band 2 of 2 flagged
    assert "| KSG | 3 | 1/3 (33 %) | 0.483 | 2.00 s | 1 | 0/1 | 2/2 |" in block
    assert "CCA" not in block  # no record, no column


def test_tables_re_apply_the_current_trust_rule_to_recorded_mine_fits():
    """A MINE record written before the radius bound was recorded gets it from the same
    samples, and its features from the task; the 2 x 2 trust table counts the flags."""
    name = "Student-t 5x5 nu=3"
    base = {"task": name, "estimator": "mine-dv", "num_samples": 2000, "truth": 0.299,
            "std": None, "seconds": 1.0, "trusted": True, "reason": "",
            "stopped_early": [True], "half_values": [[0.05, 0.05]]}
    missed = {**base, "seed": 0, "value": 0.05,
              "picked": [["quadratic_companion", "quadratic_companion"]]}
    again = beyond_normal.with_current_trust(missed)
    expected = radius_bound(*TASKS[name].sample(2000, 0))
    assert again["radius_bound"] == expected and expected > 0.2
    assert not again["trusted"] and again["reason"].startswith("the radius bound")
    mlp = {**base, "seed": 1, "value": 0.28, "picked": [["critic", "critic"]],
           "radius_bound": 0.15}  # the MLP alone, 0.13 above the radius bound
    assert "in 10 input features" in beyond_normal.with_current_trust(mlp)["reason"]
    at_bound = {**mlp, "radius_bound": 0.3}  # the MLP alone at the bound: the t's case
    assert beyond_normal.with_current_trust(at_bound)["trusted"]
    fine = {**mlp, "seed": 2, "picked": [["critic", "quadratic_companion"]]}
    assert beyond_normal.with_current_trust(fine)["trusted"]
    ksg = {**base, "estimator": "ksg", "seed": 0, "value": 0.05}
    assert beyond_normal.with_current_trust(ksg) is ksg  # no rule of MINE's
    records = [beyond_normal.with_current_trust(r) for r in (missed, mlp, fine)]
    lines = beyond_normal_table.trust_table(records, ["mine-dv", "ksg"])
    # in band: 0.28 flagged (MLP alone), 0.28 not flagged; out of band: 0.05 flagged
    assert lines[2:] == ["| MINE-DV | 1 | 1 | 1 | 0 |"]


def test_the_copula_value_of_a_recorded_fit_comes_from_the_copula_record_or_the_samples(
        tmp_path):
    """The rule's Gaussian-copula value of a MINE record: its own when recorded, else the
    copula estimator's record of the same (task, seed, N), else recomputed from the
    samples; the suite's `copula` estimator records `GaussianCopulaEstimator`'s value."""
    name = "Multinormal 5x5 (dense)"
    results = tmp_path / "results.jsonl"
    beyond_normal.main(["--estimators", "copula", "--tasks", name, "--num_samples", "2000",
                        "--seeds", "0", "--results", str(results), "--no_docs"])
    (record,) = beyond_normal_table.load_records(results)
    x, y = TASKS[name].sample(2000, 0)
    assert record["value"] == float(GaussianCopulaEstimator().fit_estimate(x, y))
    assert abs(record["value"] - 0.593) < 0.05 and record["trusted"]
    low = {"task": name, "estimator": "mine-dv", "seed": 0, "num_samples": 2000,
           "truth": 0.593, "value": 0.40, "std": None, "seconds": 1.0, "trusted": True,
           "reason": "", "stopped_early": [True], "half_values": [[0.4, 0.4]],
           "picked": [["quadratic_companion", "quadratic_companion"]], "radius_bound": 0.0}
    again = beyond_normal.with_current_trust(low)  # recomputed from the samples
    assert again["copula_value"] == copula_value(x, y) == record["value"]
    assert not again["trusted"] and again["reason"].startswith("the Gaussian-copula")
    given = beyond_normal.with_current_trust(low, copula_values={(name, 0, 2000): 0.45})
    assert given["copula_value"] == 0.45 and given["trusted"]  # taken, not recomputed
    own = beyond_normal.with_current_trust({**low, "copula_value": 0.45})
    assert own["trusted"]


def test_cca_baseline_is_the_canonical_correlation_formula():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 3))
    y = x[:, :2] @ rng.standard_normal((2, 2)) + rng.standard_normal((3000, 2))
    centred_x, centred_y = x - x.mean(0), y - y.mean(0)
    whiten = lambda v: v @ np.linalg.inv(np.linalg.cholesky(v.T @ v).T)  # noqa: E731
    rhos = np.linalg.svd(whiten(centred_x).T @ whiten(centred_y), compute_uv=False)
    expected = -0.5 * np.sum(np.log(1 - rhos**2))
    assert beyond_normal.cca_mi(x, y) == pytest.approx(expected, rel=1e-9)
    x, y = TASKS["Multinormal 5x5 (dense)"].sample(20_000, seed=0)
    assert abs(beyond_normal.cca_mi(x, y) - TASKS["Multinormal 5x5 (dense)"].truth) < 0.02


@pytest.mark.parametrize("flags, message", [
    (["--estimators", "mine-xx"], "expected --estimators"),
    (["--tasks", "No such task"], "expected --tasks"), (["--seeds", "a"], "integers"),
    (["--num_samples", "3"], "num_samples >= 10")])
def test_bad_flags_end_in_one_line(tmp_path, flags, message):
    with pytest.raises(SystemExit, match=message):
        beyond_normal.main([*flags, "--results", str(tmp_path / "r.jsonl"), "--no_docs"])
    assert not (tmp_path / "r.jsonl").exists()


def test_torn_last_line_is_skipped(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"task": "A"}) + "\n" + '{"task": "B", "va')
    assert beyond_normal_table.load_records(path) == [{"task": "A"}]
    assert beyond_normal_table.finite(math.nan) is None


def test_a_run_after_a_torn_line_starts_a_fresh_line(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text('{"task": "Normal 1x1", "va')  # a run killed mid-write
    _run(tmp_path, "--seeds", "0", "--no_docs")
    records = beyond_normal_table.load_records(results)
    assert len(records) == 4 and all("value" in r for r in records)


def test_a_fit_recorded_twice_counts_once(tmp_path):
    path = tmp_path / "r.jsonl"
    first = {"task": "A", "estimator": "ksg", "seed": 0, "num_samples": 10, "value": 1.0}
    other = dict(first, seed=1)
    path.write_text("".join(json.dumps(r) + "\n" for r in (first, other, dict(first, value=2.0))))
    assert beyond_normal_table.load_records(path) == [other, dict(first, value=2.0)]


def test_block_flag_names_a_block_of_its_own(tmp_path):
    _, docs = _run(tmp_path, "--seeds", "0")
    _run(tmp_path, "--seeds", "0", "--estimators", "ksg", "--block", "ksg only")
    page = docs.read_text()
    assert page.count(beyond_normal_table.markers()[0]) == 1
    ksg_block = page.split(beyond_normal_table.markers("ksg only")[0])[1]
    assert "| KSG |" in ksg_block and "CCA" not in ksg_block.split("<!--")[0]
