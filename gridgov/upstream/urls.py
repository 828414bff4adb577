app_name = "upstream"

urlpatterns: list = []
