"""Background channel workers: `manage.py runworker inference` serves these."""

channel_workers = {}
