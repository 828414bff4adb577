"""The API under /api/v1/ (django-ninja). Each app contributes a router.

Every endpoint needs a bearer token or a web session unless it opts out (``auth=None``).
The OpenAPI document (``/api/v1/openapi.json``) and the interactive docs (``/api/v1/docs``)
need one too, unless ``GRIDGOV_API_DOCS_PUBLIC`` is on (``gridgov.api.docs``). Errors have one shape, see
``gridgov.api.errors`` and ``docs/api.md``.
"""

from ninja import NinjaAPI

from gridgov.api.auth import DEFAULT_AUTH
from gridgov.api.docs import docs_access
from gridgov.api.errors import install_handlers

api = NinjaAPI(
    title="GridGov API",
    version="1",
    urls_namespace="api",
    auth=DEFAULT_AUTH,
    docs_decorator=docs_access,
    description="Grid-based service management. See docs/api.md for authentication and errors.",
)
install_handlers(api)

api.add_router("/", "gridgov.people.api.router")
api.add_router("/areas", "gridgov.areas.api.router")
api.add_router("/categories", "gridgov.categories.api.router")
api.add_router("/notifications", "gridgov.notify.api.router")
api.add_router("/cases", "gridgov.cases.api.router")
api.add_router("/hotline", "gridgov.hotline.api.router")
api.add_router("/hotline", "gridgov.hotline.reconcile.api.router")
api.add_router("/upstream", "gridgov.upstream.api.router")
api.add_router("/patrols", "gridgov.patrols.api.router")
api.add_router("/work", "gridgov.patrols.api.work_router")
api.add_router("/visits", "gridgov.visits.api.router")
api.add_router("/bulletins", "gridgov.bulletins.api.router")
api.add_router("/analysis", "gridgov.analysis.api.router")
api.add_router("/meetings", "gridgov.meetings.api.router")
api.add_router("/oversight", "gridgov.oversight.api.router")
api.add_router("/assessment", "gridgov.assessment.api.router")
api.add_router("/notice", "gridgov.notice.api.router")
api.add_router("/ledger", "gridgov.ledger.api.router")
api.add_router("/assignments", "gridgov.assignments.api.router")
