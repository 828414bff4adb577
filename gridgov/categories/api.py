"""API routes of the categories app."""

from ninja import Router

router = Router(tags=["categories"])
