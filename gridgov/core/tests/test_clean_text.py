"""The one check of a text input every service uses (``core.errors.clean_text``)."""

import pytest

from gridgov.core.errors import Invalid, clean_text


def test_a_text_is_stripped_and_kept() -> None:
    assert clean_text("  路灯不亮 \n", "description", 10) == "路灯不亮"
    assert clean_text(None, "comment", 10) == ""


def test_a_required_text_left_empty_is_refused_on_its_field_with_the_given_message() -> None:
    with pytest.raises(Invalid) as refused:
        clean_text(" ", "comment", 10, required=True)
    assert list(refused.value.details or {}) == ["comment"]
    with pytest.raises(Invalid) as refused:
        clean_text("", "result", 10, required=True, message="Describe the result.")
    assert refused.value.details == {"result": ["Describe the result."]}


def test_a_text_over_its_limit_is_refused_and_the_limit_is_said() -> None:
    assert clean_text("x" * 10, "title", 10) == "x" * 10
    with pytest.raises(Invalid) as refused:
        clean_text("x" * 11, "title", 10)
    assert "10" in refused.value.details["title"][0]  # type: ignore[index]
