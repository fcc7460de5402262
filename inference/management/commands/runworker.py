"""Channels' `runworker`, which runs detection jobs in a supervised child when it serves `inference`.

`manage.py runworker inference` is the team-mode worker. Before listening it spawns its child
process (`inference.supervisor`, as the embedded web process does), which runs the detectors,
the periodic work (reaping what a dead worker left running) and the status reports, so an idle
worker already does both. A native crash or a hang in a detector costs the child (the job is
retried once, or failed at `INFERENCE_JOB_TIMEOUT_SECONDS`), never this process; the consumer
waits for each job, so the worker still takes one job at a time.
"""

from channels.management.commands.runworker import Command as ChannelsRunworker

from inference.execution import CHANNEL
from inference.supervisor import Supervisor
from inference.worker import job_handler_set


class Command(ChannelsRunworker):
    def handle(self, *args, **options):
        if CHANNEL in options["channels"]:
            # relay=False: the child uses Redis itself; keep_alive: it runs (and does the periodic
            # work) from now on, replaced if it dies even while idle.
            supervisor = Supervisor(relay=False, keep_alive=True)
            supervisor.start()
            job_handler_set(supervisor.run)
        return super().handle(*args, **options)
