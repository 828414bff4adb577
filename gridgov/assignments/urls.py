from .views import urlpatterns

app_name = "assignments"

__all__ = ["app_name", "urlpatterns"]
