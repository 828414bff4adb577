"""Leaders' tasks: giving them, the two workflows, the sweep, the files.

The parts: :mod:`.create` (giving a task, and its owners), :mod:`.part_flow` (an owner's part,
and the task's status summarised from its parts), :mod:`.task_flow` (the task's supervision
notices, the leader's edits and cancelling), :mod:`.sweep` (deadlines), :mod:`.common`.

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
from .part_flow import PARTS, part_act, summary_status
from .sweep import sweep_deadlines
from .task_flow import TASKS, choice_key, task_act

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
