"""The API under /api/v1/ (django-ninja). Each app contributes a router."""

from ninja import NinjaAPI

api = NinjaAPI(title="GridGov API", version="1", urls_namespace="api")

api.add_router("/", "gridgov.people.api.router")
api.add_router("/areas", "gridgov.areas.api.router")
api.add_router("/categories", "gridgov.categories.api.router")
