from django.urls import path

from . import views

urlpatterns: list = [
    path("areas/places.json", views.places, name="area-places"),
]
