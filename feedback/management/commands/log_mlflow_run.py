"""`manage.py log_mlflow_run PROJECT`: a project audit run in MLflow (metrics, plot, annotations)."""

from django.core.management.base import BaseCommand

from annotations.management import project_argument
from tracking.models import TrackingOutbox
from feedback.tracking.audit import project_audit_enqueue
from tracking.outbox import outbox_flush


class Command(BaseCommand):
    help = "Log a project audit run to MLflow: every AI-audit metric, per label, a plot and the COCO annotations."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or name")

    def handle(self, *args, project, **options):
        project = project_argument(project)
        key = project_audit_enqueue(project=project)
        counts = outbox_flush(keys=[key])
        row = TrackingOutbox.objects.get(key=key)
        if row.sent_at:
            self.stdout.write(f"Audit run of {project.name} logged: run {row.run_id}")
        else:
            self.stdout.write(f"Audit run of {project.name} queued as {key}; `flush_tracking` sends it later.")
            if counts["error"]:
                self.stderr.write(counts["error"])
