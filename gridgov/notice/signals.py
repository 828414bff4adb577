"""Any change to staff, their roles or what is published invalidates the cached public pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gridgov.people.models import RoleAssignment, StaffProfile

from .models import NoticeSetting, Publication
from .selectors import version_bump


@receiver([post_save, post_delete], sender=Publication)
@receiver([post_save, post_delete], sender=NoticeSetting)
@receiver([post_save, post_delete], sender=RoleAssignment)
@receiver([post_save, post_delete], sender=StaffProfile)
@receiver([post_save, post_delete], sender=get_user_model())
def _changed(sender: Any, **kwargs: Any) -> None:
    version_bump()
