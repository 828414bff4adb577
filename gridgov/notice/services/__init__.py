"""Writes of the notice: what is published, posters, residents' reports and complaints.

Every write runs in a transaction with its audit row. A resident's report becomes a case through
:func:`gridgov.cases.services.public_case_create` (source ``public``) and follows the normal loop;
marking it spam voids the case through :func:`gridgov.cases.services.case_act` with the reason.

The parts:

- :mod:`.abuse`: the abuse limits of public reports and complaints (``throttle_public``, a
  quick look; ``take_public``, counted inside the write);
- :mod:`.publications`: what is published about grid staff, a town's notice settings, a grid's
  poster;
- :mod:`.reports`: residents' reports submitted, and marked spam;
- :mod:`.progress`: what a resident reads about their report by its tracking code;
- :mod:`.complaints`: conduct complaints submitted, revealed, followed by their code;
- :mod:`.common`: the tracking codes and the honeypot's decoy code.

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from .abuse import limits, take_public, throttle_public
from .common import CODE_ALPHABET, CODE_LENGTH, decoy_code
from .complaints import COMPLAINT_MAX, complaint_by_code, complaint_reveal, complaint_submit
from .progress import _LONG_DIGITS, Tracking, public_result, report_by_code, tracking
from .publications import notice_setting_save, poster_generate, publication_save
from .reports import public_report_submit, report_mark_spam

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
