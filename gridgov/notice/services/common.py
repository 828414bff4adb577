"""What the parts of the notice's services share: the tracking code a resident is given for a
report or a complaint, and the decoy code a robot caught by the honeypot is answered with."""

from __future__ import annotations

import secrets
from typing import Final

from django.db.models import Model

from ..models import ConductComplaint, PublicReport

# The tracking code's alphabet: no 0/O, 1/I/L, easy to read over the phone.
CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH: Final = 10


def unused_code(*models: type[Model]) -> str:
    """A random tracking code that no row of ``models`` has."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not any(model._default_manager.filter(code=code).exists() for model in models):
            return code


def decoy_code() -> str:
    """A tracking code for a robot caught by the honeypot: shaped like a real one, so that the
    answer looks like any success, but no report nor complaint has it (following it finds the
    same "not found" as any mistyped code)."""
    return unused_code(PublicReport, ConductComplaint)
