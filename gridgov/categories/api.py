"""API routes of the categories app: the classification tree (not scoped, needs login)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Schema

from gridgov.categories.models import Category, CategoryTimeLimit

router = Router(tags=["categories"])


class TimeLimitOut(Schema):
    urgency: str
    stage: str
    amount: int
    unit: str


class MinorOut(Schema):
    code: str
    name: str
    default_department: str | None
    self_handle_allowed: bool
    verification_required: bool
    result_photo_required: bool
    verify_photo_required: bool
    filing_condition: str
    closing_condition: str
    time_limits: list[TimeLimitOut]


class MajorOut(Schema):
    code: str
    name: str
    children: list[MinorOut]


def category_tree() -> list[MajorOut]:
    """Active major classes with their active minor classes, in display order. Three queries."""
    minors = (
        Category.objects.active()
        .select_related("default_department")
        .prefetch_related(Prefetch("time_limits", queryset=CategoryTimeLimit.objects.order_by("urgency", "stage")))
        .order_by("sort_order", "code")
    )
    majors = Category.objects.majors().active().prefetch_related(Prefetch("children", queryset=minors))
    return [
        MajorOut(
            code=major.code,
            name=major.name,
            children=[
                MinorOut(
                    code=minor.code,
                    name=minor.name,
                    default_department=minor.default_department.code if minor.default_department else None,
                    self_handle_allowed=minor.self_handle_allowed,
                    verification_required=minor.verification_required,
                    result_photo_required=minor.result_photo_required,
                    verify_photo_required=minor.verify_photo_required,
                    filing_condition=minor.filing_condition,
                    closing_condition=minor.closing_condition,
                    time_limits=[
                        TimeLimitOut(urgency=limit.urgency, stage=limit.stage, amount=limit.amount, unit=limit.unit)
                        for limit in minor.time_limits.all()
                    ],
                )
                for minor in major.children.all()
            ],
        )
        for major in majors
    ]


@router.get("", response=list[MajorOut], summary="The category tree: active major and minor classes")
def category_list(request: HttpRequest) -> list[MajorOut]:
    return category_tree()
