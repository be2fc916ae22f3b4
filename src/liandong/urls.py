from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from liandong.accounts.views import SignInView, account_security, second_factor_page
from liandong.api.v1 import api
from liandong.citylink.api import city_api
from liandong.web import views
from liandong.web.metrics import metrics

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", SignInView.as_view(), name="login"),
    path("login/code", second_factor_page, name="login-second-factor"),
    path("account/security", account_security, name="account-security"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/city/v1/", city_api.urls),
    path("", include("liandong.web.urls")),
]
