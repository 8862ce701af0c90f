"""The command line names flags where the library names arguments (issue 30, case 15)."""

from infodl.experiments.cli.command_line import _as_flags


def test_library_arguments_become_flags():
    assert _as_flags("Received: dataset=None (pass dataset=mnist, cifar10, ...)") == (
        "Received: dataset=None (pass --dataset=mnist, cifar10, ...)")
    assert _as_flags("choose another log_dir, or pass overwrite=True to delete it") == (
        "choose another log_dir, or pass --overwrite to delete it")
    assert _as_flags("pass not_a_flag=3") == "pass not_a_flag=3"
