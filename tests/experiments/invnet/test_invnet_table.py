"""The seeds table of InvNet / RegInvNet runs: grouping, mean ± sample std, P2's rows."""

import json

import numpy as np

from infodl.experiments.invnet.table import main, markdown_table


def _fake_run(folder, regularizer, seed, accuracy, auc):
    folder.mkdir(parents=True)
    alpha = 0.002 if regularizer == "info" else 0.0
    (folder / "config.json").write_text(json.dumps(
        dict(regularizer=regularizer, alpha1=alpha, alpha2=alpha, seed=seed, epochs=20)))
    (folder / "results.json").write_text(json.dumps(
        dict(test_accuracy=accuracy, weight_zero_fraction=0.5, micro_auc=auc,
             train_seconds=100.0)))
    (folder / "analysis").mkdir()
    (folder / "analysis" / "analysis.json").write_text(json.dumps(
        dict(macro_auc=auc, separation_ratio=2.0, tsne_separation_ratio=4.0)))
    return folder


def test_rows_are_mean_and_sample_std_over_seeds(tmp_path):
    folders = [_fake_run(tmp_path / f"inv{s}", "none", s, acc, 0.8)
               for s, acc in enumerate((0.97, 0.98, 0.99))]
    folders.append(_fake_run(tmp_path / "reg0", "info", 0, 0.96, 0.95))
    lines = markdown_table(folders).splitlines()
    invnet = next(line for line in lines if line.startswith("| InvNet |"))
    std = np.std([97.0, 98.0, 99.0], ddof=1)
    assert f"| 0, 1, 2 | 20 | 98.00 ± {std:.2f} | 50.0 ± 0.0 | 0.800 ± 0.000" in invnet
    regularized = next(line for line in lines if line.startswith("| RegInvNet (α1=0.002"))
    assert ("| 0 | 20 | 96.00 (1 seed) | 50.0 (1 seed) | 0.950 (1 seed) | 0.950 (1 seed) | "
            "2.000 (1 seed) | 4.00 (1 seed) | 100 (1 seed) |") in regularized
    assert any(line.startswith("| P2 RegInvNet (Fig. 3) |") and "0.99" in line
               for line in lines)


def test_without_log_dir_it_says_what_to_give(capsys):
    assert main(["table"]) == 1
    assert capsys.readouterr().err.startswith(
        "Error: Expected log_dir (the invnet run folders to tabulate)")


def test_a_folder_of_runs_gives_the_table_of_its_runs(tmp_path, capsys):
    for seed in (0, 1):
        _fake_run(tmp_path / "doc" / f"invnet_seed{seed}", "none", seed, 0.97 + seed / 100, 0.8)
    _fake_run(tmp_path / "one" / "reginvnet_seed0", "info", 0, 0.96, 0.95)
    folders = f"{tmp_path / 'doc'},{tmp_path / 'one' / 'reginvnet_seed0'}"
    assert main(["table", f"--log_dir={folders}"]) == 0
    printed = capsys.readouterr().out
    assert "| InvNet | 0, 1 | 20 | 97.50 ± 0.71 |" in printed
    assert "| RegInvNet (α1=0.002, α2=0.002) | 0 | 20 | 96.00 (1 seed) |" in printed


def test_a_file_or_an_empty_folder_is_one_error_line(tmp_path, capsys):
    log = tmp_path / "run.log"
    log.write_text("")
    assert main(["table", f"--log_dir={log}"]) == 1
    assert capsys.readouterr().err.startswith("Error: Expected log_dir to be a folder of "
                                              "finished runs")
    (tmp_path / "empty").mkdir()
    assert main(["table", f"--log_dir={tmp_path / 'empty'}"]) == 1
    assert capsys.readouterr().err.startswith("Error: Expected a finished invnet run folder")
