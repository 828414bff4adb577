from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
    path("notifications/unread/", views.unread_count, name="notifications-unread"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
]
