from django.urls import path

from . import views

app_name = "mobile"

urlpatterns = [
    path("m/", views.shell, name="shell"),
    path("m/manifest.webmanifest", views.manifest, name="manifest"),
    path("m/sw.js", views.service_worker, name="sw"),
    path("m/categories.json", views.categories, name="categories"),
]
