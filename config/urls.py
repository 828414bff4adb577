from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from gridgov.api.api import api
from gridgov.api.errors import endpoint_not_found
from gridgov.web.status import admin_status
from gridgov.web.views import language_switch

urlpatterns = [
    path("i18n/setlang/", language_switch, name="set_language"),
    path("admin/status/", admin.site.admin_view(admin_status), name="admin-status"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Any other address under /api/ answers the API's JSON 404, not the web shell's page.
    re_path(r"^api/", endpoint_not_found),
    path("", include("gridgov.core.urls")),
    path("", include("gridgov.workcalendar.urls")),
    path("", include("gridgov.areas.urls")),
    path("", include("gridgov.notify.urls")),
    path("", include("gridgov.cases.urls")),
    path("", include("gridgov.hotline.urls")),
    path("", include("gridgov.upstream.urls")),
    path("", include("gridgov.patrols.urls")),
    path("", include("gridgov.visits.urls")),
    path("", include("gridgov.mobile.urls")),
    path("", include("gridgov.bulletins.urls")),
    path("", include("gridgov.analysis.urls")),
    path("", include("gridgov.meetings.urls")),
    path("", include("gridgov.assessment.urls")),
    path("", include("gridgov.assignments.urls")),
    path("", include("gridgov.ledger.urls")),
    path("", include("gridgov.notice.urls")),
    path("", include("gridgov.oversight.urls")),
    path("", include("gridgov.ops.urls")),
    path("", include("gridgov.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "gridgov.web.views_errors.permission_denied"
handler404 = "gridgov.web.views_errors.page_not_found"
handler500 = "gridgov.web.views_errors.server_error"
