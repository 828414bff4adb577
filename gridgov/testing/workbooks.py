"""Helpers for tests that build the workbooks a user uploads."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "@", "+", "-")


def formulas_as_text(sheet: Any) -> None:
    """Make the cells of ``sheet`` whose text looks like a formula text cells, as a platform's
    export writes them: openpyxl would write each as a formula without its result, which the
    upload reader refuses."""
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
