"""``{% fig c %}``: one figure of the statistics page or the cockpit as a link to the cases it
counts, built in Python (a district page has hundreds of them, and an ``{% include %}`` each
took most of the page's rendering)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

register = template.Library()


@lru_cache(maxsize=512)
def _escaped(text: str) -> SafeString:
    """A text every figure of an index repeats (its definition, a label), escaped once."""
    return escape(text)


@register.simple_tag
def fig(c: Any, bare: bool = False) -> SafeString:
    """A :class:`gridgov.cases.views_stats.Cell`: its value, and unless ``bare`` its parts."""
    definition = _escaped(c.definition)
    if c.kind == "count":
        return format_html(
            '<a class="fig" href="{}" data-count="{}" title="{}">{}</a>', c.num_url, c.num, definition, c.num
        )
    if c.kind == "rate":
        value = format_html(
            '<a class="fig fig-rate" href="{}" data-count="{}" title="{}">{}</a>',
            c.num_url,
            c.num,
            definition,
            c.display,
        )
        if bare:
            return value
        return format_html(
            '{} <span class="fig-parts"><a class="fig" href="{}" data-count="{}" title="{}">{}</a>/'
            '<a class="fig" href="{}" data-count="{}" title="{}">{}</a></span>',
            value,
            c.num_url,
            c.num,
            _escaped(gettext("Numerator")),
            c.num,
            c.den_url,
            c.den,
            _escaped(gettext("Denominator")),
            c.den,
        )
    hours = "—" if c.value is None else gettext("%(h)s h") % {"h": c.display}
    value = format_html(
        '<a class="fig fig-hours" href="{}" data-count="{}" title="{}">{}</a>', c.den_url, c.den, definition, hours
    )
    if bare:
        return value
    cases = ngettext("%(n)s case", "%(n)s cases", c.den or 0) % {"n": c.den}
    return format_html(
        '{} <span class="fig-parts"><a class="fig" href="{}" data-count="{}">{}</a></span>',
        value,
        c.den_url,
        c.den,
        cases,
    )
