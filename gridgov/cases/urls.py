from . import views, views_field, views_inbox

app_name = "cases"

urlpatterns = [*views.urlpatterns, *views_field.urlpatterns, *views_inbox.urlpatterns]
