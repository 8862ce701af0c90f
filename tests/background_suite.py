"""The library's tests under the JAX backend, run in a background process.

Keras picks its backend once per process, so `KERAS_BACKEND=jax` needs a process of its
own. It runs beside the TensorFlow tests instead of after them, and its test only waits
for it. Under pytest-xdist (pytest.ini: two workers) the test is the first one a worker
takes, starts the run and waits for it while the other worker runs the TensorFlow tests
and takes over the waiting worker's queue (--dist worksteal); in one process (`-n 0`) it
starts as soon as collection ends (tests/conftest.py). Its own pytest runs with `-n 0`,
and with `--runslow` when the run that starts it has it (the slow tests of these folders
under JAX too). A JAX that does not import fails the run (JAX is in requirements.txt).
"""

import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
JAX_SUITES = ("tests/callbacks", "tests/estimators", "tests/models")
# Tests of the NumPy-only estimators: no backend reaches their code, so the JAX run leaves
# them out (tests/test_backends_and_lint.py checks that these modules load no Keras).
BACKEND_FREE = {
    "tests/estimators/test_binning.py": "infodl.estimators.binning",
    "tests/estimators/test_kde.py": "infodl.estimators.kde",
    "tests/estimators/test_prediction_information.py": "infodl.estimators.prediction_information",
    "tests/estimators/test_ksg.py": "infodl.estimators.ksg",
    "tests/estimators/test_beyond_normal_tasks.py": "benchmarks.beyond_normal_tasks",
    "tests/estimators/test_beyond_normal_runner.py": "benchmarks.beyond_normal",
    "tests/estimators/test_gaussian_copula.py": "infodl.estimators.gaussian_copula",
    "tests/estimators/test_external_samples.py": "benchmarks.external_samples",
    "tests/estimators/test_external_speed.py": "benchmarks.external_speed",
}
JAX_TEST = "tests/test_backends_and_lint.py::test_library_tests_pass_under_the_jax_backend"
# Long tests whose backend code another test of the JAX run already takes through (the
# JAX run's 20-50 s tests, under load): the same step with the other input map, the MINE
# fits a wrapper repeats, a second bound of the same fit loop, input handling done in
# NumPy before any backend op (encoding, warnings), a second save/load of the input map's
# variables, and architecture counts of models built from the layers the shorter model
# tests build. The TensorFlow run keeps them all.
JAX_DESELECTED = (
    "tests/estimators/test_aa_mine.py::test_critic_training_leaves_network_alone_and_"
    "gradients_reach_it_through_t[whiten]",  # [gaussianize] stays
    "tests/estimators/test_layer_estimator.py::test_matches_closed_form_and_the_mine_fits_it_wraps",
    "tests/estimators/test_mine_fit.py::test_fit_estimate_recovers_gaussian_mi[nwj-256]",
    "tests/models/test_resnet.py::test_wrn28_10_width_and_size",
    "tests/models/test_resnet.py::test_parameter_counts_match_the_originals"
    "[resnet164-10-1700000.0-54]",
    "tests/models/test_ib_nets.py::test_cifar_convnets",
    "tests/estimators/test_mine_inputs.py::test_integer_labels_give_the_estimate_of_their_one_hot_rows",
    "tests/estimators/test_mine_inputs.py::test_a_1d_array_is_one_feature",
    "tests/estimators/test_mine_inputs.py::test_independent_pairs_give_an_untrusted_number_and_one_warning",
    "tests/estimators/test_standardization.py::test_auto_choice_survives_save_and_load",
    # the bar is Keras' Python-side progress output, the same under every backend
    "tests/estimators/test_mine_fit.py::test_fit_estimate_shows_a_progress_bar",
    # the gaussianized AA-MINE fit: [gaussianize] of the critic-training test stays
    "tests/estimators/test_aa_mine.py::test_fit_estimate_linear_gaussian_fast[gaussianize]",
    # "auto" chooses in NumPy; the whitened fit: linear_gaussian_fast[whiten] stays
    "tests/estimators/test_standardization.py::test_auto_is_whiten_on_gaussian_pairs_bit_for_bit",
    # MINE at its defaults (2000+ steps): the fit loop of the Gaussian fits above
    "tests/estimators/test_mine_fit.py::test_defaults_recover_gaussian_mi_from_fewer_pairs",
    # argument, restart and width checks done in Python/NumPy around the fit loop
    "tests/estimators/test_mine_fit.py::test_numpy_scalars_are_accepted_as_arguments",
    "tests/estimators/test_mine_fit.py::test_restarts_give_mean_spread_and_a_record_of_each_fit",
    "tests/estimators/test_mine_inputs.py::test_a_fitted_mine_refuses_other_widths_in_one_line",
    "tests/estimators/test_mine_inputs.py::test_the_estimate_carries_its_spread_when_restarts_were_asked_for",
    # MINELayerEstimator's fit_settings reaching the fit: dicts handed on in Python (13 s
    # under JAX, loaded, 2 s under TensorFlow)
    "tests/estimators/test_layer_estimator.py::test_fit_settings_reach_the_mine_fit_and_the_config",
    # the JAX run's heaviest (20-65 s each, loaded) whose backend code stays covered: save
    # and load by test_mine_saved_files' round trip and AA-MINE's save test; the old file
    # layout by AA-MINE's twin; `adapt` runs in NumPy; the block ratio's ops by the fit and
    # train-batch tests; InfoNCE by test_infonce_matches_numpy...; `estimate`'s meaning is
    # Python-side
    "tests/estimators/test_mine.py::test_save_and_load_restore_estimate_and_state",
    "tests/estimators/test_mine_saved_files.py::test_mine_saved_before_the_split_loads_with_the_same_estimate",
    "tests/estimators/test_mine.py::test_adapt_standardizes_and_the_estimate_ignores_affine_maps",
    "tests/callbacks/test_block_ratio.py::test_resnet32_logs_fifteen_blocks_equal_to_numpy[input-block_ratio]",
    "tests/estimators/test_mine_fit.py::test_fit_estimate_recovers_gaussian_mi[infonce-64]",
    "tests/estimators/test_one_call.py::test_mine_estimate_keeps_its_meaning",
    # seeding (set_random_seed and seed=) is Python-side around the fit ([False] stays),
    # the held-out halves are split and scored by NumPy and the fit loop the other MINE
    # tests run, AA-MINE's loading by test_aa_mine_saved_before_the_split_loads_...
    "tests/estimators/test_mine_inputs.py::test_the_same_call_gives_the_same_estimate[True]",
    "tests/estimators/test_mine_fit.py::test_each_half_scores_the_critic_picked_on_the_other_half",
    "tests/estimators/test_aa_mine.py::test_save_weights_and_config_restore_the_estimator",
)


class BackgroundSuite:
    """`python -m pytest -q <suites>` under KERAS_BACKEND=jax, output kept in a file."""

    def __init__(self, suites=JAX_SUITES, runslow=False):
        self.output = tempfile.TemporaryFile(mode="w+")
        # INFODL_JAX_RUN: tests/conftest.py refuses a --deselect id that names no test
        env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", INFODL_JAX_RUN="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *suites,
             *(["--runslow"] if runslow else []),
             *(f"--ignore={path}" for path in BACKEND_FREE),
             *(f"--deselect={test}" for test in JAX_DESELECTED
               if any(test.startswith(suite) for suite in suites))],
            cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT, text=True)

    def wait(self, timeout):
        """(return code, output) once the run has ended."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        self.output.seek(0)
        return code, self.output.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
