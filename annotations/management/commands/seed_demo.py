"""`seed_demo [--once]`: a "Demo" project with real photos from scikit-image, labels and demo users."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotations.models import Label, Membership, Project, Role
from annotations.services.ingest import images_ingest, stored_files_guard

DEMO_PROJECT = "Demo"
# Colour photos that ship inside scikit-image's wheel (no download), in a fixed frame order.
PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
)
LABELS = (
    ("person", "#1f77b4", "person"),
    ("face", "#ff7f0e", "face"),
    ("cat", "#2ca02c", "cat"),
    ("cup", "#d62728", "cup"),
    ("rocket", "#9467bd", "rocket"),
    ("motorcycle", "#8c564b", "motorcycle"),
    ("galaxy", "#e377c2", "galaxy"),
)
USERS = (
    # username, staff+superuser, role in the demo project
    ("admin", True, Role.MANAGER),
    ("annotator", False, Role.ANNOTATOR),
    ("reviewer", False, Role.REVIEWER),
)


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.txt"


class Command(BaseCommand):
    help = "Create the demo project (photos shipped with scikit-image), its labels and demo users."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Do nothing if the demo project already exists.")
        parser.add_argument(
            "--reset-passwords", action="store_true", help="Give the demo users that already exist new passwords too."
        )

    def handle(self, *args, once=False, reset_passwords=False, **options):
        path = credentials_path()
        if once and Project.objects.filter(name__iexact=DEMO_PROJECT).exists():
            where = f" Credentials: {path}" if path.exists() else ""
            self.stdout.write(f"The demo project already exists; nothing to do.{where}")
            return
        with stored_files_guard(), transaction.atomic():
            passwords = self._users(reset=reset_passwords)
            project = self._project(admin=get_user_model().objects.get(username="admin"))
            created = self._photos(project)
        self.stdout.write(f"Demo project {project.name!r} (id {project.pk}): {created} new frames.")
        if passwords:
            self._write_credentials(path, passwords)
            self.stdout.write("Demo users (username  password), shown once and kept in " + str(path) + ":")
            for name, password in passwords.items():
                self.stdout.write(f"  {name}  {password}")
        kept = [name for name, _, _ in USERS if name not in passwords]
        if kept:
            self.stdout.write(
                f"Existing users kept their passwords: {', '.join(kept)} (see {path}, or use --reset-passwords)."
            )

    def _users(self, *, reset: bool) -> dict[str, str]:
        """Create the demo users that are missing; an existing account is never altered unless `reset`."""
        users = get_user_model().objects
        passwords = {}
        for username, privileged, _role in USERS:
            user = users.filter(username=username).first()
            if user is not None and not reset:
                continue
            if user is None:
                user = users.model(username=username, email=f"{username}@example.com")
                user.is_staff = user.is_superuser = privileged
            password = secrets.token_urlsafe(12)
            user.is_active = True
            user.set_password(password)
            user.save()
            passwords[username] = password
        return passwords

    def _project(self, *, admin) -> Project:
        # Names are unique ignoring case: a "demo project" someone made is the demo project, not a clash.
        project, _ = Project.objects.get_or_create(
            name__iexact=DEMO_PROJECT,
            defaults={
                "name": DEMO_PROJECT,
                "description": "Photos shipped with scikit-image, to try the annotator.",
                "created_by": admin,
            },
        )
        for username, _privileged, role in USERS:
            user = get_user_model().objects.get(username=username)
            Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
        for name, color, prompt in LABELS:
            Label.objects.get_or_create(
                project=project, name__iexact=name, defaults={"name": name, "color": color, "prompt": prompt}
            )
        return project

    def _photos(self, project: Project) -> int:
        import skimage  # late: only this command needs it

        folder = Path(skimage.__file__).parent / "data"
        streams = [(name, (folder / name).open("rb")) for name in PHOTOS if (folder / name).exists()]
        try:
            result = images_ingest(
                project=project,
                user=None,
                files=streams,
                metadata={name: {"source": f"skimage.data/{name}"} for name, _ in streams},
            )
        finally:
            for _, stream in streams:
                stream.close()
        return len(result.images)

    def _write_credentials(self, path: Path, passwords: dict[str, str]) -> None:
        """Merge the new passwords into the file, keeping the lines of users whose password did not change."""
        known = {}
        if path.exists():
            for line in path.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and not line.startswith("#"):
                    known[parts[0]] = parts[1]
        known.update(passwords)
        lines = [f"{name}  {password}" for name, password in known.items()]
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the start, so the passwords are never readable by others even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("# Demo users of HITL Annotate (username  password); log in at /accounts/login/\n")
            handle.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)
