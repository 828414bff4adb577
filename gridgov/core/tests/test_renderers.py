"""The project's form renderer writes Django's own HTML for select boxes."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy, override

from gridgov.core.renderers import Renderer

CHOICES: list[Any] = [
    ("", "全部"),
    ("a&b", 'A "quoted" <tag> & more'),
    ("村一", [("g1", "一号网格"), ("g2", "<二号>")]),
    ("empty group", []),
    (3, 1234567),
    ("lazy", gettext_lazy("All")),
]


def rendered(widget: forms.Widget, value: Any, attrs: dict[str, Any] | None = None) -> tuple[str, str]:
    return (
        widget.render("field", value, attrs=attrs, renderer=Renderer()),
        widget.render("field", value, attrs=attrs, renderer=DjangoTemplates()),
    )


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), None, None),
        (forms.Select(choices=CHOICES), "g2", {"id": "id_field", "required": True, "disabled": False}),
        (forms.Select(choices=CHOICES, attrs={"class": "x", "data-n": 5, "title": None}), 3, None),
        (forms.SelectMultiple(choices=CHOICES), ["a&b", "g1"], {"id": "id_m"}),
        (forms.NullBooleanSelect(), True, None),
        (forms.Select(choices=[]), "", None),
    ],
)
def test_a_select_box_is_the_html_django_writes(widget: forms.Widget, value: Any, attrs: dict[str, Any]) -> None:
    for language in ("zh-hans", "en"):
        with override(language):
            mine, django = rendered(widget, value, attrs)
            assert mine == django


def test_options_with_a_template_of_their_own_are_left_to_django() -> None:
    class Marked(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    mine, django = rendered(Marked(choices=CHOICES), "g1")
    assert mine == django and "<input" in mine


@pytest.mark.django_db
def test_the_statistics_filters_are_the_same_through_the_project_renderer(people: dict[str, Any]) -> None:
    """The page's whole filter form (a town's villages and grids, the classification in groups,
    the departments, a refused value) through the renderer the settings name and Django's."""
    from gridgov.cases.views_stats import StatsForm

    data = {"grid": "nowhere", "category": "", "source": "hotline", "step": "week"}
    mine = StatsForm(data, user=people["center01"])
    django = StatsForm(data, user=people["center01"], renderer=DjangoTemplates())
    assert isinstance(mine.renderer, Renderer)
    assert [str(field) for field in mine] == [str(field) for field in django]
    assert str(mine) == str(django)
