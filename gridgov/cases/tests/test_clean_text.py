"""The case loop's check of a text input: the core one, refusing with Django's
``ValidationError`` as the case services do."""

import pytest
from django.core.exceptions import ValidationError

from gridgov.cases.services.common import clean_text as case_clean_text


def test_the_case_loop_gets_the_same_refusals_as_a_validation_error() -> None:
    assert case_clean_text(" 井盖缺失 ", "description", required=True, maximum=20) == "井盖缺失"
    with pytest.raises(ValidationError) as refused:
        case_clean_text("", "result", required=True, maximum=20, message="Describe the result.")
    assert refused.value.message_dict == {"result": ["Describe the result."]}
    with pytest.raises(ValidationError) as refused:
        case_clean_text("x" * 21, "address", required=False, maximum=20)
    assert list(refused.value.message_dict) == ["address"]
