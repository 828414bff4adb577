"""What a notification says, rendered when it is shown or sent, in the reader's language.

A notification stores its ``kind``, ``params`` (codes, ids, numbers: never a translated label,
never personal data) and a ``note`` (free text as a person typed it, or data shown as is, such
as a masked phone). The app that owns a kind registers its renderer, which turns the params and
the note into a title and a body in the active language::

    from gridgov.notify.rendering import Rendered, renders

    @renders("case.overdue")
    def overdue(params: Params, note: str) -> Rendered:
        return Rendered(gettext("%(number)s is overdue") % {"number": params["number"]}, note)

``renders("case.*")`` covers every ``case.`` kind without a renderer of its own. A notification
whose params carry ``text`` (a title given as is, and rows written before titles were rendered)
shows that text in every language. See ``docs/notifications.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from django.utils import translation

logger = logging.getLogger("gridgov.notify")

Params = Mapping[str, Any]

TEXT: Final = "text"
"""The params key of a title given as is (rendered unchanged in every language)."""


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str = ""


Renderer = Callable[[Params, str], Rendered]
R = TypeVar("R", bound=Renderer)

_renderers: dict[str, Renderer] = {}


def renders(*kinds: str) -> Callable[[R], R]:
    """Decorator: ``renderer(params, note) -> Rendered`` renders ``kinds`` (a kind ending in
    ``.*`` stands for its whole family)."""

    def register(renderer: R) -> R:
        for kind in kinds:
            _renderers[kind] = renderer
        return renderer

    return register


def renderer_for(kind: str) -> Renderer | None:
    family = kind.split(".", 1)[0]
    return _renderers.get(kind) or _renderers.get(f"{family}.*")


def render(kind: str, params: Params, note: str, *, language: str) -> Rendered:
    """The title and body of a notification in ``language``. A renderer that cannot read the
    params (a row older than its renderer) leaves the kind code as the title, never an error
    page."""
    text = params.get(TEXT)
    if isinstance(text, str) and text:
        return Rendered(text, note)
    renderer = renderer_for(kind)
    if renderer is None:
        return Rendered(kind, note)
    with translation.override(language):
        try:
            rendered = renderer(params, note)
        except (KeyError, ValueError, TypeError):
            logger.warning("Could not render a %r notification from %r", kind, dict(params), exc_info=True)
            return Rendered(kind, note)
    return Rendered(str(rendered.title), str(rendered.body))
