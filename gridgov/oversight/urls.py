from .views import urlpatterns

app_name = "oversight"

__all__ = ["app_name", "urlpatterns"]
