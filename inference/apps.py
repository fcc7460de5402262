from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"

    def ready(self):
        # Services import models, so they load once the app registry is ready, not with this module.
        from inference.execution import embedded_submit_register
        from inference.services.decisions import decisions_register
        from inference.supervisor import supervisor

        decisions_register()  # accept/reject are undoable before the first request
        # Embedded jobs go to this process's supervisor, which spawns its worker on the first one.
        embedded_submit_register(supervisor.submit)
