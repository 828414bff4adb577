"""API routes of the areas app."""

from ninja import Router

router = Router(tags=["areas"])
