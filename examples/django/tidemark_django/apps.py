from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TidemarkDjangoConfig(AppConfig):
    name = "tidemark_django"
    verbose_name = "Tidemark query cache"

    def ready(self):
        from . import install, writes

        install.install()
        # Sent once per installed app; answering only our own is answering once per migrate.
        post_migrate.connect(writes.on_post_migrate, sender=self, dispatch_uid="tidemark_django.post_migrate")
