"""A module fixture's folder is read by its tests, never written: checked at teardown."""

import pathlib


def _files(folder):
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in pathlib.Path(folder).rglob("*") if path.is_file()}


def shared_read_only(request, folder):
    """Returns `folder`; when the fixture's scope ends, fails if a test added, removed or
    rewrote a file in it (a test that writes works on a copy in its own tmp_path, or the
    tests' outcome depends on their order, issue 29.5)."""
    before = _files(folder)

    def check():
        after = _files(folder)
        changed = sorted(name for name in before.keys() | after.keys()
                         if before.get(name) != after.get(name))
        assert not changed, f"a test wrote into the shared fixture folder {folder}: {changed}"

    request.addfinalizer(check)
    return folder
