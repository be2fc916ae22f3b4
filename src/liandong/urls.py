from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from liandong.accounts.login import ThrottledAuthenticationForm
from liandong.api.v1 import api
from liandong.citylink.api import city_api
from liandong.web import views

admin.site.site_header = "联动 · 于洪区110非警务警情联动处置平台"
admin.site.site_title = "联动管理"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/city/v1/", city_api.urls),
    path("", include("liandong.web.urls")),
]
