"""`manage.py evaluate_model PROJECT [--backend …] [--model M] [--revision R] [--prompt LABEL=PROMPT …]
[--only approved|submitted|all] [--dataset VERSION] [--limit N]` — or `--resume ID`."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.errors import DomainError
from annotations.exports import rows
from annotations.management import project_argument
from feedback.evaluation.models import Evaluation
from feedback.evaluation.options import BACKENDS
from feedback.evaluation.driver import evaluation_run
from feedback.evaluation.services import driver_name, evaluation_cancel, evaluation_create, evaluation_resume


class Command(BaseCommand):
    help = ("Evaluate a detector configuration on the project's human-verified frames (COCO mAP, AP50, AP75, "
            "AP per label) and log it as an MLflow run. Ctrl-C cancels; --resume ID continues without "
            "re-running finished frames.")

    def add_arguments(self, parser):
        parser.add_argument("project", nargs="?", help="project id or name")
        parser.add_argument("--backend", default="auto", help=f"one of {', '.join(BACKENDS)} (default auto)")
        parser.add_argument("--model", default="", help="model the workers must be running (default: theirs)")
        parser.add_argument("--revision", default="", help="revision the workers must be running (default: theirs)")
        parser.add_argument("--prompt", action="append", default=[], metavar="LABEL=PROMPT",
                            help="the prompt for one label (repeat for more); default: the label's prompt")
        parser.add_argument("--prompt-candidates", action="append", default=[], metavar="LABEL=P1,P2,…",
                            help="prompt search: score each candidate prompt for the label (one detection pass)")
        parser.add_argument("--only", default="approved", choices=list(rows.ONLY_STATUSES),
                            help="frames whose human boxes are the truth (default approved)")
        parser.add_argument("--dataset", help="a COCO DatasetVersion id to pin (default: a DVC export made now)")
        parser.add_argument("--limit", type=int, help="evaluate the first N frames only")
        parser.add_argument("--resume", type=int, metavar="ID", help="continue evaluation ID instead")

    def handle(self, *args, **options):
        try:
            if options["resume"] is not None:
                evaluation = Evaluation.objects.filter(pk=options["resume"]).first()
                if evaluation is None:
                    raise CommandError(f"No evaluation {options['resume']}.")
                evaluation = evaluation_resume(evaluation=evaluation, driver=driver_name())  # this process drives it
            else:
                if not options["project"]:
                    raise CommandError("Give a PROJECT (id or name), or --resume ID.")
                evaluation = evaluation_create(
                    project=project_argument(options["project"]), user=None, backend=options["backend"],
                    model=options["model"], revision=options["revision"], prompts=options["prompt"],
                    only=options["only"], dataset=options["dataset"], limit=options["limit"],
                    prompt_candidates=options["prompt_candidates"], driver=driver_name(),
                )
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(f"Evaluation {evaluation.pk}: {evaluation.backend} with prompts {evaluation.prompts}")
        bar = tqdm(total=evaluation.frames or None, unit="frame", disable=not sys.stderr.isatty(), desc="evaluate")

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            evaluation = evaluation_run(evaluation_id=evaluation.pk, progress=progress)
        except KeyboardInterrupt:
            evaluation_cancel(evaluation=Evaluation.objects.get(pk=evaluation.pk))
            raise CommandError(f"Cancelled; continue with `evaluate_model --resume {evaluation.pk}`.") from None
        finally:
            bar.close()
        if evaluation is None:
            raise CommandError("The evaluation is already being run by another process.")
        if evaluation.status != "done":
            raise CommandError(f"Evaluation {evaluation.pk} {evaluation.status}: {evaluation.error}")
        self._report(evaluation)

    def _report(self, evaluation):
        m = evaluation.metrics

        def fmt(value):
            return "-" if value is None else f"{value:.4f}"

        self.stdout.write(f"{m['frames']} frames ({m['frames_failed']} failed), "
                          f"{fmt(m['seconds_per_frame'])} s/frame in the detector")
        self.stdout.write(f"mAP {fmt(m['map'])}  AP50 {fmt(m['map_50'])}  AP75 {fmt(m['map_75'])}  "
                          f"precision {fmt(m['precision'])}  recall {fmt(m['recall'])}")
        for label, ap in m["ap_50"].items():
            self.stdout.write(f"  {label}: AP50 {fmt(ap)}  AP {fmt(m['ap'].get(label))}")
        for label, search in (m.get("prompt_search") or {}).items():
            tried = ", ".join(f"{p} {fmt(ap)}" for p, ap in search["ap_50"].items())
            self.stdout.write(f"Prompt search {label}: {tried} → best {search['best']!r} "
                              f"(AP50 gain {fmt(search['gain'])} over {search['current']!r})")
        if m.get("unsupported_labels"):
            self.stdout.write(f"Not supported by the detector (scored as never found): {', '.join(m['unsupported_labels'])}")
        self.stdout.write(f"MLflow run {evaluation.mlflow_run_id or '(queued)'}; registered model "
                          f"{evaluation.registered_model}")
