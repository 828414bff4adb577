"""API routes of the people app: tokens, the current user, departments."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.throttling import AnonRateThrottle

from gridgov.core.errors import BadRequest, Forbidden, Throttled, Unauthenticated
from gridgov.core.schemas import ErrorOut
from gridgov.people import passwords, selectors, services, twofactor
from gridgov.people.forms import locked_message
from gridgov.people.models import Department, Role

router = Router(tags=["people"])


class TokenRequest(Schema):
    username: str
    password: str
    name: str = ""
    # A code of the authenticator app (or a recovery code): required for accounts that must
    # use two-step verification, and lets any enrolled user in while their account is locked.
    otp: str = ""


class TokenOut(Schema):
    token: str
    expires_at: datetime


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    areas: list[str]
    departments: list[str]


class DepartmentOut(Schema):
    code: str
    name: str
    kind: str
    phone: str
    areas: list[str]


def _department_out(department: Department) -> DepartmentOut:
    return DepartmentOut(
        code=department.code,
        name=department.name,
        kind=department.kind,
        phone=department.phone,
        areas=sorted(area.code for area in department.areas.all()),
    )


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    throttle=[AnonRateThrottle("30/m")],
    summary="Exchange a username and password for a bearer token",
)
def token_create(request: HttpRequest, payload: TokenRequest) -> Status[TokenOut]:
    try:
        outcome = services.login_check(
            username=payload.username,
            password=payload.password,
            request=request,
            channel="api",
            otp=payload.otp or None,
        )
    except services.LoginLocked as locked:
        raise Throttled(
            locked_message(locked),
            code="locked",
            details={"retry_after_seconds": locked.seconds, "locked": locked.locked},
        ) from locked
    except services.LoginInactive as inactive:
        raise Forbidden(_("This account is disabled."), code="inactive") from inactive
    if outcome is None:
        raise Unauthenticated(_("Wrong username or password."), code="invalid_credentials")
    user = outcome.user
    if twofactor.required_for(user) and not outcome.second_factor:
        if not twofactor.has_device(user):
            raise Forbidden(
                _("This account must use two-step verification: set it up by logging in on the web first."),
                code="twofactor_setup_required",
            )
        if not payload.otp:
            raise Unauthenticated(_("Enter the code of your authenticator app (field otp)."), code="otp_required")
        if not twofactor.verify(user=user, token=payload.otp, request=request, purpose="api"):
            raise Unauthenticated(_("This code is not right."), code="otp_invalid")
    if passwords.change_reason(user):
        raise Forbidden(_("Change your password on the web before using the API."), code="password_change_required")
    try:
        token, raw = services.token_issue(
            actor=user, user=user, name=payload.name or "api", password_hash=user.password
        )
    except services.PasswordChanged as changed:
        raise Unauthenticated(_("Wrong username or password."), code="invalid_credentials") from changed
    return Status(201, TokenOut(token=raw, expires_at=token.expires_at))


@router.delete("/auth/token", response={204: None}, summary="Revoke the token used for this request")
def token_delete(request: HttpRequest) -> HttpResponse:
    token = selectors.bearer_token(request)
    if token is None:
        raise BadRequest(_("This request did not use a bearer token."), code="no_token")
    services.token_revoke(actor=request.user, token=token)
    return HttpResponse(status=204)


@router.get("/me", response=MeOut, summary="The current user, their roles and scope")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    profile = getattr(user, "profile", None)
    roles = sorted(set(user.role_assignments.values_list("role", flat=True)))  # type: ignore[union-attr]
    if user.is_superuser and Role.ADMIN not in roles:
        roles.append(Role.ADMIN.value)
    return MeOut(
        username=user.get_username(),
        full_name=profile.full_name if profile is not None else "",
        roles=roles,
        areas=list(selectors.scope_root_areas(user).order_by("code").values_list("code", flat=True)),
        departments=list(selectors.user_departments(user).values_list("code", flat=True)),
    )


@router.get("/departments", response=list[DepartmentOut], summary="Departments the user may see")
def department_list(request: HttpRequest) -> list[DepartmentOut]:
    return [_department_out(department) for department in selectors.departments_visible(request.user)]


@router.get(
    "/departments/{code}",
    response={200: DepartmentOut, 404: ErrorOut},
    summary="One department (404 when outside the user's scope)",
)
def department_detail(request: HttpRequest, code: str) -> DepartmentOut:
    return _department_out(selectors.department_get(request.user, code))
