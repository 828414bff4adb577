from django.urls import path

from . import views

app_name = "patrols"

urlpatterns = [
    path("patrols/", views.patrol_list, name="list"),
    path("patrols/<int:pk>/", views.patrol_detail, name="detail"),
]

urlpatterns += [
    path("patrols/days/", views.patrol_days, name="days"),
    path("patrols/roads/", views.road_import, name="roads"),
    path("patrols/grids/<str:code>/", views.grid_month, name="grid_month"),
    path("patrols/grids/<str:code>/standard/", views.standard_edit, name="standard"),
]
