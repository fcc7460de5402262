"""`import_images PROJECT PATH`: frames from a folder, a zip, the prototype's `images.pkl`, a COCO file
or a MOTChallenge folder."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from tqdm import tqdm

from annotations.errors import DomainError
from annotations.exports.coco import coco_import
from annotations.exports.mot_import import mot_folders, mot_import
from annotations.management import project_argument
from annotations.services.ingest import images_ingest
from annotations.services.ingest_read import ALLOWED_FORMATS, ZIP_MAGIC, natural_key
from annotations.services.prototype import DEFAULT_LABEL, prototype_import

PICKLE_SUFFIXES = {".pkl", ".pickle"}


class Command(BaseCommand):
    help = (
        "Import frames into a project. PATH is a folder (images in natural name order, recursive), a zip of images, "
        "the Flask prototype's images.pkl (frames, actions, boxes, feedback), a COCO .json file or a MOTChallenge "
        "folder (one sequence with seqinfo.ini, or a folder of them: sequences, frames and tracks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="Project id or name.")
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", help="Username the import is recorded for (default: the first superuser).")
        parser.add_argument(
            "--label", default=DEFAULT_LABEL,
            help="Label for the prototype's and a MOT folder's boxes (created if missing).",
        )

    def handle(self, *args, project, path, user=None, label=DEFAULT_LABEL, **options):
        project = project_argument(project)
        user = self._user(user)
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            self._import(project=project, user=user, path=path, label=label)
        except DomainError as exc:
            raise CommandError(exc.detail) from None

    def _import(self, *, project, user, path: Path, label: str) -> None:
        if path.is_dir() and mot_folders(path):
            counts = mot_import(project=project, user=user, path=path, label=label)
            return self._counts(project, "MOT import", counts)
        if path.is_dir():
            files = sorted(
                (p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")),
                key=lambda p: natural_key(str(p.relative_to(path))),
            )
            return self._files(project, user, [(str(p.relative_to(path)), p) for p in files], folder=True)
        suffix = path.suffix.lower()
        if suffix in PICKLE_SUFFIXES:
            result = prototype_import(project=project, user=user, path=path, label_name=label, progress=self._bar)
            self.stdout.write(
                f"{project.name}: {result.new_images} new frames of {result.frames} ({result.duplicates} duplicates), "
                f"{result.boxes} boxes ({result.skipped_boxes} skipped: empty or outside), "
                f"{result.feedback} feedback ratings for {user.get_username()}."
            )
            return
        if suffix == ".json":
            return self._counts(project, "COCO import", coco_import(project=project, user=user, path=path))
        self._files(project, user, [(path.name, path)], folder=False)

    def _files(self, project, user, entries: list[tuple[str, Path]], *, folder: bool) -> None:
        skipped = 0
        if folder:
            # A folder may hold notes and sidecar files: keep what Pillow recognises as an image.
            images = [(name, p) for name, p in entries if _looks_like_image(p)]
            skipped = len(entries) - len(images)
            entries = images
            if not entries:
                raise CommandError("No image files in the folder.")
        files = [(name, _PathReader(file_path)) for name, file_path in entries]
        result = images_ingest(project=project, user=user, files=files, progress=self._bar)
        self.stdout.write(
            f"{project.name}: {len(result.images)} new frames, {len(result.duplicates)} duplicates not stored again"
            + (f", {skipped} non-image files skipped." if skipped else ".")
        )
        for name in result.duplicates:
            self.stdout.write(f"  duplicate: {name}")
        for item in result.skipped:
            self.stdout.write(f"  skipped: {item['name']} ({item['reason']})")

    def _counts(self, project, what: str, counts: dict) -> None:
        self.stdout.write(f"{project.name}: {what} " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))

    def _bar(self, items):
        # Progress on a terminal only; logs and tests get the summary line alone.
        return tqdm(items, unit="file", disable=not sys.stderr.isatty(), file=sys.stderr)

    def _user(self, username: str | None):
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username!r}.")
            return user
        user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("No superuser to record the import for: pass --user USERNAME or create a superuser.")
        return user


class _PathReader:
    """Opens the file only while it is read, so a folder of 10,000 frames never holds 10,000 descriptors."""

    def __init__(self, path: Path):
        self.path = path

    def read(self, size: int = -1) -> bytes:
        with self.path.open("rb") as handle:
            return handle.read(size)


def _looks_like_image(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            if handle.read(4).startswith(ZIP_MAGIC[:1]):
                return False
        with PILImage.open(path, formats=ALLOWED_FORMATS):
            return True
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False
    except PILImage.DecompressionBombError:
        return True  # let the ingest refuse it with its clear message
