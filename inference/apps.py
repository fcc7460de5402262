from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"

    def ready(self):
        # Registers accept/reject with the history registry before the first undo can run.
        import inference.services  # noqa: F401
