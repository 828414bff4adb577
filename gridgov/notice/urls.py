from django.urls import path

from . import views

app_name = "notice"

urlpatterns = [
    # Public, without login.
    path("p/track/", views.track, name="track-form"),
    path("p/track/<str:code>/", views.track, name="track"),
    path("p/track-complaint/", views.complaint_track, name="complaint-track-form"),
    path("p/track-complaint/<str:code>/", views.complaint_track, name="complaint-track"),
    path("p/photo/<int:user_id>/", views.public_photo, name="photo"),
    path("p/<str:code>/", views.public_page, name="public"),
    path("p/<str:code>/report/", views.public_report, name="report"),
    path("p/<str:code>/complaint/", views.complaint, name="complaint"),
    # The center.
    path("notice/", views.manage, name="manage"),
    path("notice/settings/<str:code>/", views.settings_edit, name="settings"),
    path("notice/people/<int:user_id>/", views.publication_edit, name="publication"),
    path("notice/posters/<str:code>/generate/", views.poster_generate, name="poster-generate"),
    path("notice/posters/<int:pk>/download/", views.poster_download, name="poster-download"),
    path("notice/reports/", views.reports, name="reports"),
    path("notice/reports/<int:pk>/spam/", views.report_spam, name="report-spam"),
    path("notice/complaints/", views.complaints, name="complaints"),
]
