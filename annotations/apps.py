from django.apps import AppConfig

from annotations import converters


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self):
        # Before any URLconf is imported: every route of every app writes its ids as `<id:…>`.
        converters.register()

        from annotations.services.live_access import connect_receivers  # models are ready only now

        connect_receivers()
