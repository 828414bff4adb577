"""Routes of the import pages (included under ``hotline/imports/`` in the "hotline" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_list, name="import-list"),
    path("<int:pk>/", views.import_detail, name="import-detail"),
    path("<int:pk>/mapping/", views.import_mapping, name="import-mapping"),
    path("<int:pk>/preview/", views.import_preview, name="import-preview"),
    path("<int:pk>/start/", views.import_start, name="import-start"),
    path("<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("<int:pk>/reset/", views.import_reset, name="import-reset"),
    path("<int:pk>/report.xlsx", views.import_report, name="import-report"),
]
