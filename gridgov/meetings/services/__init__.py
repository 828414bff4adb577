"""Opinion meetings: planning with a proposed agenda, sign-in by QR, the minutes, resolutions
that become cases or tasks, their follow-up at the next meeting, and who sees what.

Every write goes through the two workflows (:mod:`gridgov.meetings.transitions`) or a service here, in a
transaction, with its audit row (``meeting.*``, ``resolution.*``).

The parts:

- :mod:`.common`: the roles, the limits, who sees which meeting and resolution;
- :mod:`.agenda`: the agenda proposed (open resolutions, the weeks' problems, rising categories);
- :mod:`.planning`: planning a meeting and signing in by QR;
- :mod:`.workflow`: the meeting's workflow (:data:`MEETINGS`) and :func:`meeting_act`;
- :mod:`.resolutions`: resolutions (tasks or cases) and their workflow (:data:`RESOLUTIONS`).

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from .agenda import Proposal, agenda_from_text, agenda_proposals, open_resolutions, resolution_done
from .common import (
    AGENDA_ITEMS,
    CENTER_ROLES,
    HOTSPOT_DAYS,
    ITEM_LIMIT,
    LEVELS,
    LIST_ROLES,
    PLAN_WINDOW,
    PROPOSAL_WEEKS,
    READER_ROLES,
    TEXT_LIMIT,
    VILLAGE_ROLES,
    MeetingActor,
    is_organiser,
    meeting_areas,
    meeting_get,
    meetings_visible,
    resolutions_owned,
    resolutions_visible,
)
from .planning import key_matches, meeting_plan, meeting_sign_in
from .resolutions import RESOLUTIONS, ResolutionFlow, resolution_act, resolution_add, resolution_state
from .workflow import HOLD_EARLY, MEETINGS, MeetingFlow, meeting_act

__all__ = [
    "AGENDA_ITEMS",
    "CENTER_ROLES",
    "HOLD_EARLY",
    "HOTSPOT_DAYS",
    "ITEM_LIMIT",
    "LEVELS",
    "LIST_ROLES",
    "MEETINGS",
    "PLAN_WINDOW",
    "PROPOSAL_WEEKS",
    "READER_ROLES",
    "RESOLUTIONS",
    "TEXT_LIMIT",
    "VILLAGE_ROLES",
    "MeetingActor",
    "MeetingFlow",
    "Proposal",
    "ResolutionFlow",
    "agenda_from_text",
    "agenda_proposals",
    "is_organiser",
    "key_matches",
    "meeting_act",
    "meeting_areas",
    "meeting_get",
    "meeting_plan",
    "meeting_sign_in",
    "meetings_visible",
    "open_resolutions",
    "resolution_act",
    "resolution_add",
    "resolution_done",
    "resolution_state",
    "resolutions_owned",
    "resolutions_visible",
]
