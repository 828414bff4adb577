from .views import urlpatterns

app_name = "bulletins"

__all__ = ["app_name", "urlpatterns"]
