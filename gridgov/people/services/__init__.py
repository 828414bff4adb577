"""Writes of the people app: users and their profiles, departments, roles, API tokens, login.

Every function takes keyword-only arguments and an ``actor`` (the user acting, or ``None``
for the system), runs in one transaction and writes its audit row in that transaction.

The parts:

- :mod:`.users`: users and their staff profiles, passwords, Django groups and permissions, the
  language a person chose;
- :mod:`.departments`: ``department_save``;
- :mod:`.roles`: roles checked, given and taken away (separation of duties);
- :mod:`.tokens`: API tokens issued, revoked and looked up (kept per process);
- :mod:`.common`: the user model, the actor acting on themself, the self-grant audit action, the
  end of access when a second factor becomes required.

The login API lives in :mod:`gridgov.people.login`; callers reach it through the services.
Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from gridgov.people.login import (
    LOGIN_FAILED,
    LOGIN_OK,
    LOGIN_REFUSED_LOCKED,
    LoginInactive,
    LoginLocked,
    LoginOutcome,
    LoginRefused,
    login_attempt,
    login_check,
)

from .common import SELF_GRANT
from .departments import DEPARTMENT_FIELDS, department_save
from .roles import role_assign, role_revoke, role_validate
from .tokens import (
    _TOKENS,
    TOKEN_TOUCH_SECONDS,
    PasswordChanged,
    is_machine_account,
    token_authenticate,
    token_issue,
    token_lookup,
    token_max_seconds,
    token_revoke,
)
from .users import (
    PROFILE_FIELDS,
    USER_FIELDS,
    profile_language_set,
    user_create,
    user_set_access,
    user_set_password,
    user_update,
)

__all__ = [
    "DEPARTMENT_FIELDS",
    "LOGIN_FAILED",
    "LOGIN_OK",
    "LOGIN_REFUSED_LOCKED",
    "PROFILE_FIELDS",
    "SELF_GRANT",
    "TOKEN_TOUCH_SECONDS",
    "USER_FIELDS",
    "_TOKENS",
    "LoginInactive",
    "LoginLocked",
    "LoginOutcome",
    "LoginRefused",
    "PasswordChanged",
    "department_save",
    "is_machine_account",
    "login_attempt",
    "login_check",
    "profile_language_set",
    "role_assign",
    "role_revoke",
    "role_validate",
    "token_authenticate",
    "token_issue",
    "token_lookup",
    "token_max_seconds",
    "token_revoke",
    "user_create",
    "user_set_access",
    "user_set_password",
    "user_update",
]
