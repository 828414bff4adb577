"""Staff photos for the demo: a drawn avatar on the profile of each demo person.

The public notice of grid staff (上岗公示) and the contact lists show a photo beside a name; the
demo's people get a drawn avatar (:func:`gridgov.demo.pictures.avatar`) stored where the people
app keeps staff photos (the profile's ``photo``), through
:func:`gridgov.people.services.user_update`, so each change is audited like an administrator's.
Machine accounts (the upstream system) get none. Only profiles without a photo are touched:
a second run changes nothing, and a photo someone uploaded is never replaced.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from gridgov.people.models import Role
from gridgov.people.services import user_update

from .loader import check_allowed
from .pictures import avatar
from .taiping import DemoData, generate


def load_demo_staff_photos(*, data: DemoData | None = None, allow_production_db: bool = False) -> int:
    """Give every demo person without a photo a drawn avatar; returns how many were given."""
    check_allowed(allow_production_db=allow_production_db)
    data = data or generate()
    people = {
        person.username: person
        for person in data.people
        if not any(role.role == Role.UPSTREAM for role in person.roles)
    }
    users = get_user_model().objects.filter(username__in=list(people), profile__photo="").order_by("username")
    made = 0
    with transaction.atomic():
        for user in users:
            person = people[user.username]
            user_update(actor=None, user=user, photo=avatar(full_name=person.full_name, username=user.username))
            made += 1
    return made
