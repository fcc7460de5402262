from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"

    def ready(self):
        # Registers accept/reject with the history registry before the first undo can run.
        import inference.services  # noqa: F401
        from inference.execution import embedded_submit_register
        from inference.supervisor import supervisor

        # Embedded jobs go to this process's supervisor, which spawns its worker on the first one.
        embedded_submit_register(supervisor.submit)
