"""Routes of the ledger import pages (under ``ledger/``, namespace "ledger")."""

from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("ledger/", views.ledger_list, name="list"),
    path("ledger/<int:pk>/", views.ledger_detail, name="detail"),
    path("ledger/<int:pk>/mapping/", views.ledger_mapping, name="mapping"),
    path("ledger/<int:pk>/preview/", views.ledger_preview, name="preview"),
    path("ledger/<int:pk>/start/", views.ledger_start, name="start"),
    path("ledger/<int:pk>/progress/", views.ledger_progress, name="progress"),
    path("ledger/<int:pk>/report.xlsx", views.ledger_report, name="report"),
]
