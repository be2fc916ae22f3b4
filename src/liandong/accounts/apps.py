from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "liandong.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from liandong.accounts import login

        login.connect()  # every sign-in, successful or not, is recorded
