"""Template helpers of the forms: ``{% one_time_key %}`` for hand-written forms (the inbox
cards), the same key :class:`gridgov.core.forms.OneTimeKeyMixin` puts on Django forms."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from gridgov.core.forms import ONE_TIME_KEY, one_time_key

register = template.Library()


@register.simple_tag(name="one_time_key")
def one_time_key_input() -> SafeString:
    """A hidden input with a fresh one-time key."""
    return format_html('<input type="hidden" name="{}" value="{}">', ONE_TIME_KEY, one_time_key())
