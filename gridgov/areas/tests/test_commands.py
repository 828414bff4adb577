"""The import_areas and export_areas management commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gridgov.areas.models import Area
from gridgov.areas.tests.conftest import tree_collection
from gridgov.areas.tests.factories import square

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree_file(tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(tree_collection(), ensure_ascii=False), encoding="utf-8")
    return path


def test_import_prints_the_counts(tree_file):
    out = StringIO()
    call_command("import_areas", str(tree_file), stdout=out)
    assert out.getvalue().strip() == "created 5, updated 0, unchanged 0."
    assert Area.objects.count() == 5


def test_a_dry_run_imports_nothing(tree_file):
    out = StringIO()
    call_command("import_areas", str(tree_file), "--dry-run", stdout=out)
    assert "Dry run: would have created 5" in out.getvalue()
    assert not Area.objects.exists()


def test_problems_are_listed_and_the_command_fails(tmp_path):
    collection = tree_collection()
    collection["features"][2]["geometry"] = square(117.205, 38.6)
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_areas", str(path), stderr=err)
    assert "- Grid 1 (12011610420101): overlaps Grid 2 (12011610420102)" in err.getvalue()
    assert not Area.objects.exists()


def test_a_command_error_exits_with_status_1(tmp_path):
    """``manage.py`` turns a CommandError into exit status 1."""
    with pytest.raises(SystemExit) as exit_info:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "import_areas", str(tmp_path / "missing.geojson")]).execute()
    assert exit_info.value.code == 1


def test_export_writes_a_file_the_import_accepts(tree_file, tmp_path):
    call_command("import_areas", str(tree_file), stdout=StringIO())
    target = tmp_path / "out.geojson"
    call_command("export_areas", "--level", "grid", "-o", str(target), stderr=StringIO())
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in exported["features"]] == ["12011610420101", "12011610420102"]
    out = StringIO()
    call_command("import_areas", str(target), stdout=out)
    assert out.getvalue().strip() == "created 0, updated 0, unchanged 2."


def test_export_to_standard_output_for_a_subtree(tree_file):
    call_command("import_areas", str(tree_file), stdout=StringIO())
    out = StringIO()
    call_command("export_areas", "--root", "120116104201", stdout=out)
    assert len(json.loads(out.getvalue())["features"]) == 3


def test_export_of_an_unknown_root_fails(tree_file):
    with pytest.raises(CommandError):
        call_command("export_areas", "--root", "999999999999")
