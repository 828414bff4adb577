from .views import urlpatterns

app_name = "meetings"

__all__ = ["app_name", "urlpatterns"]
