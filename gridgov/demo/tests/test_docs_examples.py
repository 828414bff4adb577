"""The examples the documents give for the demo must work on the demo's own data."""

from __future__ import annotations

import re
from pathlib import Path

from gridgov.categories.seed import SEED
from gridgov.core.pinyin import initials

DOCS = Path(__file__).resolve().parents[3] / "docs"
# `WGTC` for 违规停车, "wgtc" finds 违规停车劝导: an example of the search by pinyin initials.
EXAMPLE = re.compile(r"[`\"“]([A-Za-z]{3,8})[`\"”]\s*(?:for|finds)\s*([\u4e00-\u9fff]+)")


def test_the_pinyin_search_examples_of_the_docs_find_a_demo_category() -> None:
    names = [minor.name for major in SEED for minor in major.minors]
    examples = [
        (path.name, match.group(1), match.group(2))
        for path in sorted(DOCS.rglob("*.md"))
        for match in EXAMPLE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert examples, "the docs give no pinyin example any more: drop this test or its pattern"
    for doc, typed, shown in examples:
        found = [name for name in names if initials(name).startswith(typed.upper())]
        assert shown in names, f"{doc}: {shown} is not a demo category"
        assert shown in found, f"{doc}: {typed} does not find {shown} (it finds {found})"
