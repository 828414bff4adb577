"""The services of the notice (a package, so that they can be cut into parts)."""

from __future__ import annotations

from .reports import (
    _LONG_DIGITS,
    CODE_ALPHABET,
    CODE_LENGTH,
    COMPLAINT_MAX,
    Tracking,
    complaint_by_code,
    complaint_reveal,
    complaint_submit,
    decoy_code,
    limits,
    notice_setting_save,
    poster_generate,
    public_report_submit,
    public_result,
    publication_save,
    report_by_code,
    report_mark_spam,
    take_public,
    throttle_public,
    tracking,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "COMPLAINT_MAX",
    "_LONG_DIGITS",
    "Tracking",
    "complaint_by_code",
    "complaint_reveal",
    "complaint_submit",
    "decoy_code",
    "limits",
    "notice_setting_save",
    "poster_generate",
    "public_report_submit",
    "public_result",
    "publication_save",
    "report_by_code",
    "report_mark_spam",
    "take_public",
    "throttle_public",
    "tracking",
]
