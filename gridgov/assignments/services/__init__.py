"""Leaders' tasks: giving them, the two workflows, the sweep, the files.

Every write is here, in a transaction, with its history row (:class:`..models.AssignmentEvent`)
and its audit row (``assignment.*``).
"""

from .common import MAX_FILE_BYTES, MAX_FILES, Upload, end_of_day, files_check, working_day
from .create import (
    assignment_create,
    assignment_from_resolution,
    creator_towns,
    owner_choices,
    resolution_defaults,
    town_leader_ids,
)
from .flows import PARTS, TASKS, choice_key, part_act, summary_status, task_act
from .sweep import sweep_deadlines

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "PARTS",
    "TASKS",
    "Upload",
    "assignment_create",
    "assignment_from_resolution",
    "choice_key",
    "creator_towns",
    "end_of_day",
    "files_check",
    "owner_choices",
    "part_act",
    "resolution_defaults",
    "summary_status",
    "sweep_deadlines",
    "task_act",
    "town_leader_ids",
    "working_day",
]
