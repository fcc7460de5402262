import sys

from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"

    def ready(self):
        # Registers accept/reject with the history registry before the first undo can run.
        import inference.services  # noqa: F401

        if sys.argv[1:2] == ["runworker"] and "inference" in sys.argv[2:]:
            from inference.consumers import reaper_start

            reaper_start()  # an idle worker still re-queues what a dead one left running
