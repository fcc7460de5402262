"""Background channel workers: `manage.py runworker inference` serves these."""

from inference.consumers import InferenceWorker

channel_workers = {"inference": InferenceWorker.as_asgi()}
