"""The IB experiments' settings: each written once, and passed on explicitly.

The config builds the trainers' `IBTrainerSettings` field by field
(`IBTrainingSettings.trainer_settings`) and gives the stage's own settings (beta, ...)
as explicit arguments; the defaults are the settings dataclass's own. The settings the IB
experiments share with the others (data files, seed, overwrite, verbose) are the same
dataclass fields, so `run.py --help` shows each with one help text.
"""

import dataclasses
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest

from infodl.experiments.ib import end_to_end as ib_end_to_end
from infodl.experiments.ib import layerwise as ib_layerwise
from infodl.experiments.ib.end_to_end_config import IBEndToEndConfig
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
from infodl.experiments.ib.settings import IBTrainingSettings
from infodl.experiments.info_plane.config import InfoPlaneConfig
from infodl.experiments.invnet.config import InvNetConfig
from infodl.experiments.resnet.config import ResNetConfig
from infodl.training.ib_end_to_end_trainer import EndToEndIBTrainer
from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer
from infodl.training.ib_settings import IB_DEFAULTS, IBTrainerSettings

ROOT = pathlib.Path(__file__).resolve().parents[3]
# The settings the trainers took from the config before `IBTrainerSettings`.
FORMER_TRAINER_SETTINGS = (
    "noise_variance", "critic_steps", "critic_hidden_units", "learning_rate",
    "critic_learning_rate", "batch_size", "critic_pretrain_steps", "critic_eval_every",
    "critic_patience", "log_every", "checkpoint_every", "estimate_restarts",
    "estimate_steps", "estimate_standardize", "verbose")
SHARED_SETTINGS = ("data_dir", "allow_partial_files", "train_fraction", "seed", "overwrite",
                   "verbose")


class _Built(Exception):
    """Raised by the stand-in trainer: the experiment stops right after building it."""


def _signature_names(*classes):
    names = set()
    for klass in classes:
        names |= {p.name for p in inspect.signature(klass.__init__).parameters.values()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names - {"self"}


# Trainer settings without a flag: library-only (the IB runs keep the defaults).
LIBRARY_ONLY_SETTINGS = {"critic_ema_decay", "keep_checkpoints"}
# The trainers' own arguments that are not config fields (the experiment gives them).
NOT_FROM_THE_CONFIG = {"model", "num_classes", "settings", "seed", "log_dir", "pretraining"}


@pytest.mark.parametrize("config, module, train, trainer_class", [
    (IBLayerwiseConfig(beta=0.25, conv_beta=0.125, iterations_per_layer=7, posttrain_steps=9,
                       posttrain_learning_rate=0.5, critic_steps=3, noise_variance=0.75,
                       critic_hidden_units=(8, 4), estimate_standardize="whiten",
                       estimate_restarts=2, verbose=2, seed=4, critic_standardize="unit"),
     ib_layerwise, "_train_ib", LayerwiseIBTrainer),
    (IBEndToEndConfig(alpha=0.5, beta=0.25, gamma=0.125, train_steps=11, critic_steps=3,
                      learning_rate=0.01, critic_patience=2, log_every=3, verbose=0, seed=4),
     ib_end_to_end, "_train_seed", EndToEndIBTrainer),
])
def test_every_setting_reaches_the_trainer(monkeypatch, config, module, train,
                                           trainer_class):
    """What the experiment really gives its trainer: one `IBTrainerSettings` holding every
    config field of that name, the trainer's own arguments from the config fields of
    their names, and the seed and its folder instead of the config's first seed and
    log_dir."""
    received = {}

    class StandIn(trainer_class):  # the trainer's signature, without training anything
        def __init__(self, model, num_classes, settings, **kwargs):
            received.update(kwargs, model=model, num_classes=num_classes, settings=settings)
            raise _Built

    monkeypatch.setattr(module, "load_ib_data", lambda *args, **kwargs: {"num_classes": 10})
    monkeypatch.setattr(module, "build_network", lambda *args, **kwargs: "the network")
    monkeypatch.setattr(module, trainer_class.__name__, StandIn)
    with pytest.raises(_Built):
        getattr(module, train)(config.validate(), 6, "runs/x/seed_6")

    settings = received["settings"]
    assert isinstance(settings, IBTrainerSettings)
    shared = {field.name for field in dataclasses.fields(IBTrainerSettings)}
    assert shared - LIBRARY_ONLY_SETTINGS <= {f.name for f in dataclasses.fields(config)}
    assert set(FORMER_TRAINER_SETTINGS) <= shared
    for name in shared - LIBRARY_ONLY_SETTINGS:
        assert getattr(settings, name) == getattr(config, name), name
    for name in LIBRARY_ONLY_SETTINGS:
        assert getattr(settings, name) == getattr(IB_DEFAULTS, name), name
    own = _signature_names(trainer_class) - NOT_FROM_THE_CONFIG
    assert set(received) == own | {"model", "num_classes", "settings", "seed", "log_dir"}
    for name in own:
        assert received[name] == getattr(config, name), name
    assert (received["seed"], received["log_dir"], received["num_classes"]) == (
        6, "runs/x/seed_6", 10)


def test_the_config_builds_the_settings_in_one_visible_line_each():
    """Each shared setting appears as `name=self.name` in `trainer_settings` (what grep
    finds from a flag), and no experiment module inspects a signature."""
    source = (ROOT / "experiments" / "ib" / "settings.py").read_text()
    body = source[source.index("def trainer_settings"):]
    for field in dataclasses.fields(IBTrainerSettings):
        if field.name not in LIBRARY_ONLY_SETTINGS:
            assert re.search(rf"\b{field.name}=self\.{field.name}\b", body), field.name


def test_shared_settings_are_one_field_each():
    """The IB configs inherit the data-file and run settings: the same dataclass field."""
    configs = (ResNetConfig, InvNetConfig, IBLayerwiseConfig, IBEndToEndConfig)
    for name in SHARED_SETTINGS:
        declared = {id(next(f for f in dataclasses.fields(c) if f.name == name))
                    for c in configs}
        assert len(declared) == 1, name
    for name in ("seed", "overwrite", "verbose"):
        field, = (f for f in dataclasses.fields(InfoPlaneConfig) if f.name == name)
        assert field is next(f for f in dataclasses.fields(IBLayerwiseConfig) if f.name == name)
    for name in SHARED_SETTINGS:
        assert name not in IBTrainingSettings.__dict__.get("__annotations__", {}), name


def _flag_help(text, name):
    """The help of `--name` (or `--[no]name`) in absl's --help output, as one line."""
    match = re.search(rf"^  --(?:\[no\])?{name}: (.*?)(?=^  --|\Z)", text, re.M | re.S)
    assert match, name
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("experiment", ["ib_layerwise", "ib_end_to_end"])
def test_help_shows_each_ib_setting_once_with_its_own_text(experiment):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), f"--experiment={experiment}",
                             "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    text = result.stdout + result.stderr
    assert "--verbose" in text and "Traceback" not in text, text[-2000:]  # absl exits 1
    for field in dataclasses.fields(IBTrainingSettings):
        assert len(re.findall(rf"^  --(?:\[no\])?{field.name}:", text, re.M)) == 1
        help_text = _flag_help(text, field.name)
        assert help_text.startswith(" ".join(field.metadata["help"].split())), field.name
        assert "[" not in help_text.split("(default:")[0].replace("[--", ""), help_text
    verbose = _flag_help(text, "verbose")
    for value in ("0 silent", "1 a progress bar", "2 one line per epoch"):
        assert value in verbose


# Config defaults that differ from the trainer's on purpose.
DELIBERATE_DEFAULTS = {
    "conv_beta",  # the experiment follows P3's CIFAR-10 (0 on conv layers), the trainer beta
    "train_steps",  # None in the config: P3's steps for the data set and net
}


@pytest.mark.parametrize("config_class, trainer_class", [
    (IBLayerwiseConfig, LayerwiseIBTrainer), (IBEndToEndConfig, EndToEndIBTrainer)])
def test_config_defaults_are_the_trainer_defaults(config_class, trainer_class):
    """A flag left at its default trains as the library's trainer does by default: the
    shared settings' defaults are `IB_DEFAULTS` (written once), the trainer's own
    arguments default to the config's values."""
    defaults = {field.name: getattr(IB_DEFAULTS, field.name)
                for field in dataclasses.fields(IBTrainerSettings)}
    defaults.update({p.name: p.default for p in
                     inspect.signature(trainer_class.__init__).parameters.values()
                     if p.default is not inspect.Parameter.empty})
    differing = {field.name: (field.default, defaults[field.name])
                 for field in dataclasses.fields(config_class)
                 if field.name in defaults
                 and field.name not in ("seed", "log_dir", *DELIBERATE_DEFAULTS)
                 and field.default != defaults[field.name]}
    assert differing == {}
    assert config_class().trainer_settings() == IB_DEFAULTS


@pytest.mark.parametrize("name, mode", [
    ("none", "none"), ("global", "global"), ("unit", "scale"), ("scale", "scale"),
    ("whiten", "whiten"), ("gaussianize", "gaussianize"), ("auto", "auto")])
def test_critic_standardize_takes_the_estimators_names_and_unit_and_global(name, mode):
    """One vocabulary: --critic_standardize accepts every `InputStandardizer` mode (the
    names of --estimate_standardize) and the IB's `unit` (= scale) and `global`; the
    critics' two maps are `InputStandardizer`s of that mode, D_x's noisy one aware of
    sigma^2."""
    from infodl.choices import MINE_STANDARDIZATIONS
    from infodl.training.ib_critics import IBCritics

    assert set(MINE_STANDARDIZATIONS) | {"unit", "global"} == set(
        dataclasses.fields(IBTrainingSettings)[[f.name for f in dataclasses.fields(
            IBTrainingSettings)].index("critic_standardize")].metadata["choices"])
    settings = IBLayerwiseConfig(critic_standardize=name, critic_hidden_units=(4,),
                                 noise_variance=0.5).validate().trainer_settings()
    critics = IBCritics(3, 2, settings, seed=0)
    assert (critics.clean_map.mode, critics.noisy_map.mode) == (mode, mode)
    assert (critics.clean_map.noise_variance, critics.noisy_map.noise_variance) == (0.0, 0.5)
    with pytest.raises(ValueError, match="critic_standardize"):
        IBLayerwiseConfig(critic_standardize="per_unit").validate()
