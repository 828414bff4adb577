from django.urls import include, path

from . import views, views_stats

app_name = "hotline"

urlpatterns = [
    *views.urlpatterns,
    *views_stats.urlpatterns,
    path("hotline/imports/", include("gridgov.hotline.importing.urls")),
    path("hotline/reconcile/", include("gridgov.hotline.reconcile.urls")),
]
