"""`manage.py learn_thresholds PROJECT [--target 0.9]`: per label, the score threshold that keeps the
precision of shown AI boxes at the target, learnt from accept/reject decisions; logged to MLflow."""

from django.core.management.base import BaseCommand, CommandError

from annotations.management import project_argument
from feedback.evaluation.thresholds import DEFAULT_TARGET, thresholds_for_project, thresholds_track
from tracking.outbox import outbox_flush


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or name")
        parser.add_argument("--target", type=float, default=DEFAULT_TARGET, help="precision to keep (default 0.9)")

    def handle(self, *args, **options):
        if not 0 < options["target"] <= 1:
            raise CommandError("--target is a precision between 0 and 1.")
        project = project_argument(options["project"])
        thresholds = thresholds_for_project(project=project, target=options["target"])
        for name, row in thresholds.items():
            if row["threshold"] is None:
                self.stdout.write(f"{name}: no threshold ({row.get('reason') or 'the target cannot be reached'})")
                continue
            self.stdout.write(
                f"{name}: threshold {row['threshold']:.3f} keeps precision {row['precision']:.3f}; hides "
                f"{row['hidden_rejected']} boxes people rejected (work saved) and {row['hidden_good']} they kept")
        key = thresholds_track(project=project, thresholds=thresholds, target=options["target"])
        counts = outbox_flush(keys=[key])
        self.stdout.write(f"MLflow: {'sent' if counts.get('sent') else 'queued'} ({key})")
