"""Routes of the reconciliation pages (under ``hotline/reconcile/`` in the "hotline" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.reconcile_list, name="reconcile-list"),
    path("<int:pk>/", views.reconcile_detail, name="reconcile-detail"),
    path("<int:pk>/report.xlsx", views.reconcile_workbook, name="reconcile-report"),
    path(
        "<int:pk>/differences/<int:difference>/<str:action>/",
        views.difference_action,
        name="reconcile-difference",
    ),
]
