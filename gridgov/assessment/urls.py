from .views import urlpatterns

app_name = "assessment"

__all__ = ["app_name", "urlpatterns"]
