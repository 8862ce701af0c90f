"""`.ci/run` runs the README's test command, then the slow tests of what a user runs first."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The README's first command (200 steps on synthetic data), resume after SIGKILL, and
# a regular `pip install .`: the tests CI runs on top of the default suite; and two
# headline claims at full size: MINE at its defaults on N = 20 000 Gaussian pairs, a
# stopped and resumed run bit-identical to the uninterrupted one.
CI_SLOW_TESTS = {
    "tests/estimators/test_mine_fit.py": "test_defaults_recover_gaussian_mi_in_ci",
    "tests/experiments/resnet/test_resnet_resume_exact.py":
        "test_stopped_and_resumed_run_equals_the_uninterrupted_run",
    "tests/experiments/resnet/test_resnet_measurements.py": "test_literal_200_step_cli_run",
    "tests/experiments/resnet/test_resnet_scale.py":
        "test_sigkill_at_a_random_step_then_the_same_command_finishes_cleanly",
    "tests/test_packaging.py": "test_regular_install_copies_every_package",
}


def test_ci_runs_the_readme_test_command_then_the_ci_slow_tests():
    script = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script
    pytest_calls = [line for line in script.splitlines() if "-m pytest" in line
                    and not line.lstrip().startswith("#")]
    assert pytest_calls == ["python -m pytest -q", "python -m pytest -q --runslow -m ci_slow"]
    readme = (ROOT / "README.md").read_text()
    assert "```bash\npython -m pytest -q\n```" in readme  # the README's test command


def test_exactly_the_first_user_commands_carry_the_ci_slow_marker():
    marked = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        names = re.findall(r"^@pytest\.mark\.ci_slow\n(?:@.*\n)*def (\w+)",
                           path.read_text(), re.M)
        if names:
            marked[str(path.relative_to(ROOT))] = names
    assert marked == {path: [name] for path, name in CI_SLOW_TESTS.items()}
    for path, name in CI_SLOW_TESTS.items():  # slow too: the default command skips them
        source = (ROOT / path).read_text()
        assert re.search(rf"^@pytest\.mark\.slow\n@pytest\.mark\.ci_slow\n(?:@.*\n)*def {name}\(",
                         source, re.M), (path, name)
