from django.urls import path

from . import views

app_name = "patrols"

urlpatterns = [
    path("patrols/", views.patrol_list, name="list"),
    path("patrols/<int:pk>/", views.patrol_detail, name="detail"),
]
