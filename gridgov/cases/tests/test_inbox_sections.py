"""Other apps add sections to the department and village inboxes through a registry; an empty
section is left out, and the cases app knows nothing of what they hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.cases import inbox
from gridgov.people.models import Role

pytestmark = pytest.mark.django_db


def section(user: Any) -> inbox.InboxSection | None:
    if Role.DEPARTMENT_HANDLER not in {a.role for a in user.role_assignments.all()}:
        return inbox.InboxSection("empty", "Nothing")
    item = inbox.InboxItem("迎检环境整治", "/elsewhere/1/", state="办理中", light="yellow")
    return inbox.InboxSection("extra", "Extra work", [item], count=3, more_url="/elsewhere/")


def test_a_registered_section_is_shown_beside_the_cases(people: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(inbox, "INBOX_SECTIONS", [])
    inbox.add_inbox_section(section)
    inbox.add_inbox_section(section)
    assert len(inbox.INBOX_SECTIONS) == 1 and inbox.INBOX_SECTIONS[0] is section
    client = Client()
    client.force_login(people["dept01"])
    body = client.get("/cases/department/").content.decode()
    assert 'data-testid="inbox-section-extra"' in body and "迎检环境整治" in body and 'href="/elsewhere/"' in body
    client.force_login(people["gridlead01"])
    assert "inbox-section-empty" not in client.get("/cases/village/").content.decode()
