"""The form renderer of the project (``FORM_RENDERER``): Django's, with its select boxes written
in Python.

Django renders a select box through a template that includes one more template for each
option, and then one for each option's attributes. A district user's filters list hundreds of
villages (the statistics page: the villages, the classification, the departments, the
sources), and rendering those boxes was most of the page's own time (130 ms of a 180 ms
render, profiled). :class:`Renderer` writes the same HTML for Django's own select templates,
character for character (``gridgov/core/tests/test_renderers.py`` compares both on every kind
of box), and leaves every other template, and any box whose options use a template of their
own, to Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import mark_safe

SELECT: Final = "django/forms/widgets/select.html"
OPTION: Final = "django/forms/widgets/select_option.html"


class Renderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            widget = context["widget"]
            groups = widget["optgroups"]
            if all(option["template_name"] == OPTION for _name, options, _index in groups for option in options):
                return mark_safe(select_html(widget))  # noqa: S308 - every value in it is escaped
        return super().render(template_name, context, request)


_CONTEXT: Final = Context(autoescape=True)


def _text(value: Any) -> str:
    """A variable as the templates print it: a time in the current time zone, localized, made a
    string, then escaped unless a safe string (Django's ``render_value_in_context``)."""
    return str(render_value_in_context(value, _CONTEXT))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``: ``False`` leaves the attribute out, ``True`` writes
    its name alone."""
    found = []
    for name, value in attrs.items():
        if value is False:
            continue
        found.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_text(str(value))}"')
    return "".join(found)


def select_html(widget: Mapping[str, Any]) -> str:
    """``django/forms/widgets/select.html`` with each option's ``select_option.html``, stripped
    as Django's renderer strips what a template gives."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            value = _text(str(option["value"]))  # (the template's ``stringformat:'s'``)
            parts.append(f'\n  <option value="{value}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()
