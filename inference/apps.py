from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"

    def ready(self):
        # Services import models, so they load once the app registry is ready, not with this module.
        from inference.execution import embedded_submit_register
        from inference.services.decisions import decisions_register
        from inference.services.propagation import propagation_register
        from inference.supervisor import supervisor

        decisions_register()  # accept/reject are undoable before the first request
        propagation_register()  # a propagation failed by the recovery ends like one failed in its run
        # Embedded jobs go to this process's supervisor (its worker starts with the first connection, see asgi.py).
        embedded_submit_register(supervisor.submit)
