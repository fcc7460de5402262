"""`manage.py flush_tracking`: close idle annotation sessions and send the outbox to MLflow."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from tracking.outbox import outbox_flush, outbox_pending
from feedback.tracking.sessions import sessions_close_idle


class Command(BaseCommand):
    help = "Close idle annotation sessions, then send every pending MLflow run in the tracking outbox."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="send at most this many rows")

    def handle(self, *args, limit=None, **options):
        closed = sessions_close_idle()
        total = outbox_pending().count() if limit is None else min(limit, outbox_pending().count())
        with tqdm(total=total, unit="run", disable=not sys.stderr.isatty(), desc="MLflow") as bar:
            counts = outbox_flush(limit=limit, progress=bar.update)
        self.stdout.write(
            f"Sessions closed: {len(closed)}; runs sent: {counts['sent']}, failed: {counts['failed']}, "
            f"still pending: {counts['pending']}"
        )
        if counts["error"]:
            self.stderr.write(counts["error"])
