"""Derived seeds: distinct per purpose and index, stable, and refusing unknown purposes."""

import ast
import pathlib

import numpy as np
import pytest

from infodl.seeds import SEED_PURPOSES, derive_seed

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIBRARY = ("analysis", "callbacks", "data", "estimators", "experiments", "models",
           "training", "infodl")


def test_every_purpose_and_index_a_run_uses_gets_its_own_seed():
    # Indices a long run reaches: layers, restarts, error-bar iterations up to 10 000.
    seeds = {}
    for run_seed in (0, 1, 2):
        for purpose in SEED_PURPOSES:
            for index in [(), *((i,) for i in range(64)),
                          *((i, k) for i in range(4) for k in (0, 400, 5000, 10000))]:
                value = derive_seed(run_seed, purpose, *index)
                assert 0 <= value < 2**31
                assert value not in seeds, (run_seed, purpose, index, seeds.get(value))
                seeds[value] = (run_seed, purpose, index)
    # the old offsets collided: layer seed + 3 (then + 1 inside) == layer seed + 4
    start = derive_seed(0, "ib_error_bars", 0, 0)
    end = derive_seed(0, "ib_error_bars", 0, 400)
    assert derive_seed(start, "ib_error_bar_input", 0) != derive_seed(end, "ib_error_bar_label", 0)


def test_derived_seeds_are_stable_and_none_stays_none():
    assert derive_seed(7, "mine_restart", 2) == derive_seed(7, "mine_restart", 2)
    assert derive_seed(None, "mine_restart", 2) is None
    # the hash is NumPy's SeedSequence, so it does not change between processes
    expected = np.random.SeedSequence(7, spawn_key=(derive_key("mine_restart"), 2))
    assert derive_seed(7, "mine_restart", 2) == int(expected.generate_state(1, np.uint64)[0] >> 33)


def derive_key(purpose):
    import zlib
    return zlib.crc32(purpose.encode())


def test_unknown_purpose_and_negative_values_are_refused():
    with pytest.raises(ValueError, match="Expected purpose to be one of"):
        derive_seed(0, "critic_kernal")
    with pytest.raises(ValueError, match="Expected seed and indices >= 0"):
        derive_seed(0, "mine_restart", -1)


def test_the_library_names_only_registered_purposes_and_adds_no_offsets_to_seeds():
    used = set()
    for package in LIBRARY:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "derive_seed"
                        and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                    used.add(node.args[1].value)
                if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
                        and isinstance(node.left, (ast.Name, ast.Attribute))
                        and ast.unparse(node.left).lower().endswith("seed")
                        and isinstance(node.right, (ast.Constant, ast.BinOp))):
                    pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno}: "
                                f"{ast.unparse(node)} (use infodl.seeds.derive_seed)")
    assert used <= set(SEED_PURPOSES), used - set(SEED_PURPOSES)
    assert len(used) >= 15
