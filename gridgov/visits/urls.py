from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("visits/", views.visit_list, name="list"),
    path("visits/new/", views.visit_new, name="new"),
    path("visits/<int:pk>/", views.visit_detail, name="detail"),
    path("visits/photos/<int:pk>/<str:variant>/", views.visit_photo, name="photo"),
    path("visits/overdue/", views.overdue_list, name="overdue"),
    path("visits/coverage/", views.coverage_page, name="coverage"),
    path("visits/households/", views.household_list, name="households"),
    path("visits/households/new/", views.household_edit, name="household_new"),
    path("visits/households/<int:pk>/", views.household_detail, name="household"),
    path("visits/households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("visits/households/<int:pk>/reveal/", views.household_reveal, name="household_reveal"),
    path("visits/units/", views.unit_list, name="units"),
    path("visits/units/new/", views.unit_edit, name="unit_new"),
    path("visits/units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("visits/units/<int:pk>/reveal/", views.unit_reveal, name="unit_reveal"),
    path("visits/import/", views.import_page, name="import"),
    path("visits/import/<str:token>/report.xlsx", views.import_report, name="import_report"),
]
