"""The driver of docs/compression.md, end to end on a tiny budget (slow: it trains 8 nets)."""

import json

import numpy as np
import pytest

from infodl.analysis.compression import ESTIMATORS
from infodl.experiments.info_plane.compression_table import BEGIN, END, VARIANTS, main


@pytest.mark.slow
def test_table_figures_and_per_seed_numbers(tmp_path, var_u_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "compression.md").write_text(f"# reading\n\n{BEGIN}\n{END}\n\nkept\n")
    args = ["compression_table", f"--var_u_path={var_u_path}", "--epochs=4", "--num_seeds=2",
            "--num_log_points=2", f"--log_dir={tmp_path / 'runs'}", f"--docs_dir={docs}",
            "--verbose=0"]
    assert main(args) == 0
    text = (docs / "compression.md").read_text()
    assert text.startswith("# reading") and text.endswith("kept\n")
    for name in ESTIMATORS:
        assert f"**{name}**" in text
    rows = [line for line in text.splitlines() if line.startswith("| tanh, sigmoid")]
    assert len(rows) == len(ESTIMATORS) + 1  # one per estimator, one accuracy row
    assert all(line.count("±") >= 6 for line in rows[:-1])
    assert all(line.count("/2]") == 6 for line in rows[:-1])  # [null quantile; k/2 seeds]
    assert (docs / "compression_info_planes.png").stat().st_size > 10_000
    assert (docs / "compression_bars.png").stat().st_size > 10_000
    record = json.loads((tmp_path / "runs" / "compression.json").read_text())
    for name in ESTIMATORS:
        assert set(record["statistics"][name]) == {f"{a}_{o}" for a, o in VARIANTS}
        layer = record["statistics"][name]["relu_sigmoid"]["hidden_5"]
        values = layer["compression_bits_per_seed"]
        assert len(values) == 2 and layer["seeds"] == [0, 1]
        assert layer["compression_bits_mean"] == pytest.approx(np.mean(values))
        assert layer["compression_bits_std"] == pytest.approx(np.std(values, ddof=1))
        null = layer["null"]  # the null: 100 bootstrap resamples per seed by default
        assert null["num_resamples_per_seed"] == [100, 100] and null["num_draws"] == 10000
        assert null["above_null"] == (np.mean(values) > max(null["null_quantile"], 1e-9))
        assert null["seeds_above_null"] == sum(
            v > max(q, 1e-9)
            for v, q in zip(values, null["null_quantile_per_seed"], strict=True))
        cached = json.loads((tmp_path / "runs" / "relu_sigmoid" / "seed_1" /
                             f"null_{name}.json").read_text())
        assert len(cached["I_XT_bits"]) == 100 and len(cached["I_XT_bits"][0]) == 6
        assert null["bootstrap_std_per_seed"][1] == pytest.approx(
            np.std(np.asarray(cached["I_XT_bits"])[:, 4], ddof=1))
    # a rerun trains nothing and recomputes nothing: the same numbers
    main(args)
    again = json.loads((tmp_path / "runs" / "compression.json").read_text())
    assert again["statistics"] == record["statistics"]
    assert again["seconds"]["estimator_runs"] == pytest.approx(
        record["seconds"]["estimator_runs"])


def test_bad_settings_are_one_clear_error_before_any_training(var_u_path, tmp_path, capsys):
    log_dir = f"--log_dir={tmp_path / 'runs'}"
    assert main(["table", f"--var_u_path={var_u_path}", "--null_resamples=1", log_dir]) == 1
    assert capsys.readouterr().err == ("Error: Expected null_resamples >= 2 (an integer). "
                                       "Received: null_resamples=1\n")
    assert main(["table", f"--var_u_path={tmp_path / 'none.mat'}", log_dir]) == 1
    assert "Expected var_u.mat at var_u_path" in capsys.readouterr().err
    assert main(["table", log_dir]) == 1
    assert "Expected var_u_path (the path of var_u.mat)" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
