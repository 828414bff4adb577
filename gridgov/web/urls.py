from django.urls import path

from . import views, views_auth

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.area_map, name="map"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/verify/", views_auth.login_verify, name="login-verify"),
    path("login/enrol/", views_auth.login_enrol, name="login-enrol"),
    path("account/security/", views_auth.account_security, name="account-security"),
    path("account/password/", views_auth.password_change, name="password-change"),
]
