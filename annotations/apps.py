from django.apps import AppConfig

from annotations import converters


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self):
        # Before any URLconf is imported: every route of every app writes its ids as `<id:…>`.
        converters.register()
        # Services import models, so they load once the app registry is ready, not with this module.
        from annotations.services.box_batches import track_actions_register
        from annotations.services.boxes import box_actions_register
        from annotations.services.live_access import connect_receivers

        connect_receivers()
        box_actions_register()  # create/update/delete are undoable before the first request
        track_actions_register()  # so are interpolate, copy-forward and end-track (one step each)
