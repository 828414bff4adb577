from .views import urlpatterns

app_name = "analysis"

__all__ = ["app_name", "urlpatterns"]
