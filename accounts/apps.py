from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Signal receivers, and the tasks registered in every process (web included), since
        # services enqueue them by name.
        from . import signals, tasks  # noqa: F401
