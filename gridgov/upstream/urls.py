from . import views

app_name = "upstream"

urlpatterns = [*views.urlpatterns]
