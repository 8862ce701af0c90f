"""The knob table of docs/ib_training.md (issue 20.3): per layer the final I(X; L+ε),
I(Y; L) and gradient ratio β‖∇I_x‖/‖∇I_y‖, mean ± std over seeds, from tiny run folders
written here (results.json, seed_<s>/history.json, config.json)."""

import json

import numpy as np

from infodl.experiments.ib import layerwise_table as ib_layerwise_table
from infodl.experiments.ib.layerwise_table import (
    _each_folder_rows,
    _information_text,
    _layer_statistics,
    table,
)

# seed -> layer -> (trajectory, gradient_norms): the last rows are the ones that count
HISTORIES = {
    0: {"hidden_1": ([[0, 0.1, 1.0], [20, 2.5, 2.0]], [[0, 0.0, 4.0, 1e-3], [20, 0.0, 2.0, 4e-3]]),
        "features": ([[0, 0.2, 1.5], [20, 1.25, 2.25]], [[20, 0.0, 1.0, 5e-4]])},
    1: {"hidden_1": ([[0, 0.3, 1.1], [20, 3.0, 2.5]], [[20, 0.0, 4.0, 2e-3]]),
        "features": ([[20, 1.75, 2.5]], [[20, 0.0, 2.0, 3e-3]])},
}


def _write_run(root, folder, accuracies, histories=None, config=None):
    run_dir = root / folder
    run_dir.mkdir(parents=True)
    runs = []
    for seed, value in accuracies.items():
        run = {"seed": seed, "test_accuracy": value, "seconds_this_session": 60.0}
        if histories is not None:
            seed_dir = run_dir / f"seed_{seed}"
            seed_dir.mkdir()
            layers = {name: {"trajectory": trajectory, "gradient_norms": norms}
                      for name, (trajectory, norms) in histories[seed].items()}
            (seed_dir / "history.json").write_text(json.dumps({"layers": layers}))
            run["history_path"] = "somewhere/else/that/moved/history.json"
        runs.append(run)
    (run_dir / "results.json").write_text(json.dumps({"runs": runs}))
    if config is not None:
        (run_dir / "config.json").write_text(json.dumps(config))


def _expected(values, form):
    return f"{np.mean(values):{form}} ± {np.std(values, ddof=1):{form}}"


def test_a_row_shows_each_layers_final_information_and_ratio(tmp_path):
    _write_run(tmp_path, "ib_beta", {0: 0.85, 1: 0.87}, HISTORIES)
    _write_run(tmp_path, "ce", {0: 0.89, 1: 0.90})  # no history: no information cell
    stats = _layer_statistics(str(tmp_path), ("ib_beta",))
    assert list(stats) == ["hidden_1", "features"]
    assert stats["hidden_1"] == {"I_X": [2.5, 3.0], "I_Y": [2.0, 2.5],
                                 "ratio": [4e-3 / 2.0, 2e-3 / 4.0]}
    assert stats["features"]["ratio"] == [5e-4, 3e-3 / 2.0]
    lines = table(str(tmp_path), (("IB", ("ib_beta",), 86.57, None),
                                  ("CE", ("ce",), 86.48, None),
                                  ("missing", ("nothing",), None, None)), share=1)
    assert lines[0].endswith("| final I(X; L+ε) / I(Y; L) bits, β‖∇I_x‖/‖∇I_y‖ per layer |")
    assert len(lines[1].split("|")) == len(lines[0].split("|"))
    cell = lines[2].split(" | ")[-1].rstrip(" |")
    assert cell == (f"hidden_1: {_expected([2.5, 3.0], '.2f')} / {_expected([2.0, 2.5], '.2f')}"
                    f", {_expected([2e-3, 5e-4], '.1e')}<br>"
                    f"features: {_expected([1.25, 1.75], '.2f')} / "
                    f"{_expected([2.25, 2.5], '.2f')}, {_expected([5e-4, 1.5e-3], '.1e')}")
    assert cell.startswith("hidden_1: 2.75 ± 0.35 / 2.25 ± 0.35, 1.3e-03 ± 1.1e-03<br>")
    assert lines[2].startswith("| IB | **86.00 ± 1.41** | 0: 85.00, 1: 87.00 | 2.0 min | 86.57 |")
    assert lines[3].endswith("| 86.48 | — |")
    assert lines[4] == "| missing | not run | | | — | |"
    for line in lines:
        assert line.count("|") == lines[0].count("|"), line


def test_beta_zero_and_missing_diagnostics():
    """beta = 0 gives ratio 0; a run before the diagnostics existed shows "—"."""
    layers = {"hidden_1": {"I_X": [1.0], "I_Y": [2.0], "ratio": [0.0]},
              "hidden_2": {"I_X": [1.5], "I_Y": [2.5], "ratio": []},
              "features": {"I_X": [], "I_Y": [], "ratio": []}}
    assert _information_text(layers) == (  # one seed: no std (infodl.analysis.seed_statistics)
        "hidden_1: 1.00 (1 seed) / 2.00 (1 seed), 0.0e+00 (1 seed)<br>"
        "hidden_2: 1.50 (1 seed) / 2.50 (1 seed), —")
    two = {"hidden_1": {"I_X": [1.0, 2.0], "I_Y": [2.0, 2.0], "ratio": [0.0, 0.0]}}
    assert _information_text(two) == "hidden_1: 1.50 ± 0.71 / 2.00 ± 0.00, 0.0e+00 ± 0.0e+00"
    assert _information_text({}) == "—"


def test_each_folder_gets_a_row_labelled_by_its_settings(tmp_path, monkeypatch, capsys):
    _write_run(tmp_path, "knobs/beta_0.01", {0: 0.8}, {0: HISTORIES[0]},
               config={"method": "ib", "beta": 0.01, "critic_hidden_units": [128, 128],
                       "learning_rate": 1e-3, "batch_size": 128, "train_layers": None})
    _write_run(tmp_path, "knobs/ce_b32_lr1e-4", {0: 0.86, 1: 0.87},
               config={"method": "cross_entropy", "batch_size": 32, "learning_rate": 1e-4,
                       "beta": 1e-3, "critic_hidden_units": [1500, 1500]})
    _write_run(tmp_path, "knobs/pixels", {0: 0.86},
               config={"method": "logistic_regression", "batch_size": 128, "beta": 1e-3,
                       "learning_rate": 1e-3, "iterations_per_layer": 400})
    _write_run(tmp_path, "ib_first", {0: 0.86})
    _write_run(tmp_path, "knobs/e2e_ce", {0: 0.88},
               config={"alpha": 1.0, "beta": 0.0, "gamma": 0.0, "train_steps": 5000,
                       "critic_hidden_units": [1500, 1500]})
    rows = _each_folder_rows(str(tmp_path))
    assert [row[1] for row in rows] == [("ib_first",), ("knobs/beta_0.01",),
                                        ("knobs/ce_b32_lr1e-4",), ("knobs/e2e_ce",),
                                        ("knobs/pixels",)]
    assert rows[1][0] == ("knobs/beta_0.01 (method=ib, beta=0.01, learning_rate=0.001, "
                          "batch_size=128, critic_hidden_units=128,128)")
    # settings the method does not read (flag defaults in its config) stay out
    assert rows[4][0] == "knobs/pixels (method=logistic_regression)"
    assert rows[3][0] == "knobs/e2e_ce (alpha=1, beta=0, gamma=0, train_steps=5000)"
    assert ib_layerwise_table.main(["layerwise_table", f"--log_dir={tmp_path}", "--each"]) == 0
    printed = capsys.readouterr().out
    assert "Every run folder" in printed
    assert ("| knobs/ce_b32_lr1e-4 (method=cross_entropy, learning_rate=0.0001, "
            "batch_size=32) | **86.50 ± 0.71** |") in printed
    assert "| IB functional, only first term (β = 0) | **86.00 (1 seed)** |" in printed


def test_table_command_errors_are_one_line(tmp_path, capsys):
    assert ib_layerwise_table.main(["layerwise_table"]) == 1
    assert capsys.readouterr().err.startswith("Error: Expected log_dir (the folder holding")
    assert ib_layerwise_table.main(["layerwise_table", str(tmp_path)]) == 1  # positional
    assert "Expected flags only (e.g. --log_dir=<folder>)" in capsys.readouterr().err
    assert ib_layerwise_table.main(["layerwise_table", f"--log_dir={tmp_path / 'no'}"]) == 1
    assert "no such folder" in capsys.readouterr().err
    assert ib_layerwise_table.main(["layerwise_table", "--share=0", f"--log_dir={tmp_path}"]) == 1
    assert "Expected 0 < share <= 100" in capsys.readouterr().err
