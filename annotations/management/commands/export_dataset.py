"""`manage.py export_dataset PROJECT --format coco|yolo|voc|mot [--only …] [--out DIR] [--dvc] [--push]
[--split train=0.8,val=0.2 [--seed S]]`."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.errors import DomainError
from annotations.exports import rows
from annotations.exports.service import WRITERS, dataset_export
from annotations.management import project_argument


class Command(BaseCommand):
    help = ("Export a project's annotations (COCO, YOLO, Pascal VOC or MOTChallenge), optionally as a DVC dataset "
            "version.")

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or name")
        parser.add_argument("--format", required=True, choices=sorted(WRITERS))
        parser.add_argument("--only", default="approved", choices=list(rows.ONLY_STATUSES),
                            help="approved frames, submitted (submitted + approved) or all; default approved")
        parser.add_argument("--out", help="output folder (default: under the dataset repo or var/exports)")
        parser.add_argument("--dvc", action="store_true", help="commit the export as a version of the DVC repo")
        parser.add_argument("--push", action="store_true", help="push the version to the DVC remote (needs --dvc)")
        parser.add_argument("--no-images", action="store_true", help="annotations only, no image files")
        parser.add_argument("--split", help="split by sequence, e.g. train=0.8,val=0.2 (names: train, val, test)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the split (same seed, same split)")

    def handle(self, *args, **options):
        project = project_argument(options["project"])
        if options["push"] and not options["dvc"]:
            raise CommandError("--push needs --dvc.")
        total = rows.image_count(project_id=project.pk, only=options["only"])
        bar = tqdm(total=total, unit="frame", disable=not sys.stderr.isatty(), desc=f"{options['format']} export")
        try:
            dataset = dataset_export(
                project=project,
                format=options["format"],
                only=options["only"],
                out=options["out"],
                dvc=options["dvc"],
                push=options["push"],
                copy_images=not options["no_images"],
                progress=bar.update,
                split=options["split"],
                seed=options["seed"],
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        finally:
            bar.close()
        counts = dataset.counts
        self.stdout.write(
            f"Exported {counts['images']} images, {counts['boxes']} boxes, {counts['labels']} labels"
            + (f", {counts['tracks']} tracks" if counts.get("tracks") else "")
            + (f" in {counts['sequences']} sequences" if "sequences" in counts else "")
            + f" ({dataset.format}, {dataset.only}) to {dataset.path}"
        )
        if "splits" in counts:
            self.stdout.write("Split (frames): " + ", ".join(f"{k} {v}" for k, v in counts["splits"].items())
                              + f"; seed {counts['seed']}; datasheet.md written")
        if dataset.git_rev:
            self.stdout.write(f"DVC version: git {dataset.git_rev} dvc {dataset.dvc_hash}"
                              + (" (pushed)" if options["push"] else ""))
        self.stdout.write(f"DatasetVersion {dataset.pk}; MLflow run queued as {dataset.mlflow_run_id}")
