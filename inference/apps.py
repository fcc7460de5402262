import sys

from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"

    def ready(self):
        # Registers accept/reject with the history registry before the first undo can run.
        import inference.services  # noqa: F401
        from inference.execution import embedded_started
        from inference.periodic import periodic_start

        # The process that runs jobs owns the periodic work: the embedded executor when it starts…
        embedded_started.connect(lambda **kwargs: periodic_start(), weak=False, dispatch_uid="inference.periodic")
        if sys.argv[1:2] == ["runworker"] and "inference" in sys.argv[2:]:
            periodic_start()  # …and every worker from the start: an idle one still reaps what a dead one left
