from . import views, views_field, views_inbox, views_stats

app_name = "cases"

urlpatterns = [*views.urlpatterns, *views_field.urlpatterns, *views_inbox.urlpatterns, *views_stats.urlpatterns]
