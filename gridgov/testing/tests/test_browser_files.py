"""`make test` runs the browser tests in a session of their own, found by file name
(``test_*browser*.py``; the other session deselects ``-m browser``): a browser test anywhere else
would run in neither."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import gridgov

ROOT = Path(gridgov.__file__).resolve().parent


def test_every_module_with_browser_tests_is_named_so_make_test_runs_it() -> None:
    misplaced = []
    for path in ROOT.glob("*/tests/**/test_*.py"):
        text = path.read_text(encoding="utf-8")
        marked = "BROWSER_MARKS" in text or "mark.browser" in text
        if marked and not fnmatch.fnmatch(path.name, "test_*browser*.py"):
            misplaced.append(str(path.relative_to(ROOT)))
    assert misplaced == []


def test_the_browser_files_are_at_the_depth_the_makefile_looks() -> None:
    for path in ROOT.glob("**/test_*browser*.py"):
        assert path.parent.name == "tests" and path.parent.parent.parent == ROOT, path
