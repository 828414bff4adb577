from . import views, views_field

app_name = "cases"

urlpatterns = [*views.urlpatterns, *views_field.urlpatterns]
