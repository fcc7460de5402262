from django.core.management.base import BaseCommand, CommandError

from inference.services import jobs_reap_stale


class Command(BaseCommand):
    help = "Re-queue or fail detection jobs whose worker stopped responding (e.g. from cron)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after", type=float, default=None,
            help="Seconds without a heartbeat before a job counts as stale (default: INFERENCE_JOB_STALE_SECONDS).",
        )

    def handle(self, *args, stale_after=None, **options):
        if stale_after is not None and stale_after < 0:
            raise CommandError("--stale-after must be 0 or more.")
        outcome = jobs_reap_stale(stale_after=stale_after)
        self.stdout.write(
            f"requeued {len(outcome['requeued'])}, failed {len(outcome['failed'])}, resent {len(outcome['resent'])}"
            + (f": {outcome}" if any(outcome.values()) else "")
        )
