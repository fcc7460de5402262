"""Channels' `runworker`, which also starts the inference worker when it serves `inference`.

`manage.py runworker inference` is the team-mode worker: before listening it starts its
periodic work (reaping what a dead worker left running) and publishes its detector, so an
idle worker already does both (`inference.worker.worker_start`).
"""

from channels.management.commands.runworker import Command as ChannelsRunworker

from inference.execution import CHANNEL
from inference.worker import worker_start


class Command(ChannelsRunworker):
    def handle(self, *args, **options):
        if CHANNEL in options["channels"]:
            worker_start()
        return super().handle(*args, **options)
