"""The project's form renderer writes Django's own HTML for select boxes."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
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


class Html:
    """Not a str, but with __html__ (as a BoundField, a form, an ErrorList...)."""

    def __str__(self) -> str:
        return "<b>str</b>"

    def __html__(self) -> str:
        return "<i>html</i>"


def a_label() -> str:
    return "called"


AWARE = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)

CASES: dict[str, Any] = {
    "xss label": [("x", '<script>alert("x")</script>')],
    "xss value": [('"><script>alert(1)</script>', "v")],
    "quotes & amp": [("a'b\"c&d<e>", "a'b\"c&d<e>"), ("&amp;", "&amp;")],
    "safe label": [("s", mark_safe("<b>safe</b>")), ("t", SafeString("<i>x</i>"))],
    "safe value": [(mark_safe("<v>"), "safe value")],
    "lazy group": [(gettext_lazy("All"), [("a", gettext_lazy("Day"))])],
    "lazy safe": [("l", lazy(lambda: mark_safe("<u>lazy</u>"), SafeString)())],
    "numbers": [(1, 1234567), (2, 1.5), (3, decimal.Decimal("1234.50")), (4, True), (5, None), (0, 0)],
    "dates": [("d", dt.date(2026, 3, 1)), ("n", dt.datetime(2026, 3, 1, 9, 30))],
    "aware datetime label": [("a", AWARE)],
    "callable label": [("c", a_label)],
    "__html__ label": [("h", Html())],
    "unicode": [("网格", "网格 \u00a0 😀"), ("\u202e", "rtl")],
    "group falsy": [(0, [("z", "zero group")]), ("", [("e", "empty group")])],
    "group of tuples": [("g", (("a", "A"), ("b", "B")))],
    "dict choices": {"k": "v", "grp": {"a": "A"}},
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", ["select", "multiple"])
def test_odd_options(name: str, language: str, kind: str) -> None:
    choices = CASES[name]
    with override(language), timezone.override("Asia/Shanghai"):
        widget = forms.Select(choices=choices) if kind == "select" else forms.SelectMultiple(choices=choices)
        attrs = {
            "id": "i",
            "data-q": 'a"b<c>&',
            "data-none": None,
            "data-zero": 0,
            "data-t": True,
            "data-f": False,
            "data-lazy": gettext_lazy("All"),
            "data-safe": mark_safe("&amp;"),
            "data-tuple": (1, 2),
        }
        value = ["x", "a", "s", "1", "c"] if kind == "multiple" else "a"
        mine = widget.render('n"<', value, attrs=attrs, renderer=Renderer())
        django = widget.render('n"<', value, attrs=attrs, renderer=DjangoTemplates())
        assert mine == django


class Disabling(forms.Select):
    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if option["value"] == "b":
            option["attrs"]["disabled"] = True
        option["attrs"]["data-x"] = '"<&>'
        return option


def test_custom_option_attrs() -> None:
    widget = Disabling(choices=[("a", "A"), ("b", "B")])
    assert widget.render("n", "b", renderer=Renderer()) == widget.render("n", "b", renderer=DjangoTemplates())


def test_model_choice_and_null_boolean_and_date_widget(db: None) -> None:
    from gridgov.people.models import Department

    Department.objects.create(code='d"<1', name='<script>alert("d")</script> & co')
    for field in (
        forms.ModelChoiceField(Department.objects.all()),
        forms.ModelMultipleChoiceField(Department.objects.all()),
        forms.NullBooleanField(),
        forms.TypedChoiceField(choices=[(1, "1"), (2, "2")], coerce=int),
    ):
        for value in (None, "", "1", ["1"], True, False):
            assert both(field.widget, "f", value)
    assert both(forms.SelectDateWidget(years=[2025, 2026]), "d", "2026-03-01")


def both(widget: forms.Widget, name: str, value: Any) -> bool:
    """The widget renders the same through both renderers (or fails the same way)."""
    found: list[Any] = []
    for renderer in (Renderer(), DjangoTemplates()):
        try:
            found.append(widget.render(name, value, renderer=renderer))
        except (TypeError, ValueError, AttributeError) as error:
            found.append(type(error))
    return bool(found[0] == found[1])


@pytest.mark.django_db
def test_stats_form_with_hostile_names(people: dict[str, Any]) -> None:
    from gridgov.areas.models import Area
    from gridgov.cases.views_stats import StatsForm
    from gridgov.categories.models import Category
    from gridgov.core import tableversions
    from gridgov.people.models import Department

    evil = "\"><script>alert(1)</script>&amp;'<"
    major = Category.objects.create(code='M"<', name=evil, is_active=True)
    Category.objects.create(code='m"<&', name=evil, parent=major, is_active=True)
    Department.objects.create(code='d"><x', name=evil, is_active=True)
    Area.objects.current().filter(level__in=["grid", "village", "town"]).update(name=evil)
    tableversions.reset_all()
    for user in ("center01", "leader01", "super01", "admin"):
        if user not in people:
            continue
        for data in (None, {"grid": "x", "lead": 'd"><x', "category": 'm"<&'}):
            mine = StatsForm(data, user=people[user])
            django = StatsForm(data, user=people[user], renderer=DjangoTemplates())
            html = str(mine)
            assert html == str(django)
            assert "<script>" not in html
