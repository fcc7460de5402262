"""`seed_demo`: a Demo project with real photos, labels and demo users whose passwords are printed once."""

import io
import stat

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from annotations.models import Image, Label, Membership, Project, Role
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401 (autouse fixture)


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    pairs = [line.split() for line in output.splitlines() if line.startswith("  ")]
    return {name: password for name, password in pairs}


@pytest.mark.django_db
def test_seed_creates_the_demo_project_with_photos_labels_and_users(var_dir):
    output = seed()
    project = Project.objects.get(name="Demo")
    frames = list(Image.objects.filter(project=project).order_by("frame_index"))
    assert len(frames) >= 6
    assert [f.frame_index for f in frames] == list(range(len(frames)))
    assert frames[0].original_name == "astronaut.png" and (frames[0].width, frames[0].height) == (512, 512)
    assert all(f.format in ("PNG", "JPEG") for f in frames)
    labels = set(Label.objects.filter(project=project).values_list("name", flat=True))
    assert {"person", "cat", "cup", "rocket"} <= labels
    roles = dict(Membership.objects.filter(project=project).values_list("user__username", "role"))
    assert roles == {"admin": Role.MANAGER, "annotator": Role.ANNOTATOR, "reviewer": Role.REVIEWER}
    passwords = printed_passwords(output)
    assert set(passwords) == {"admin", "annotator", "reviewer"}
    admin = authenticate(username="admin", password=passwords["admin"])
    assert admin is not None and admin.is_superuser and admin.is_staff
    assert authenticate(username="annotator", password=passwords["annotator"]).is_staff is False


@pytest.mark.django_db
def test_credentials_are_written_privately_and_kept_on_a_rerun(var_dir):
    first = printed_passwords(seed())
    path = var_dir / "demo-credentials.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"admin  {first['admin']}" in path.read_text()
    output = seed()
    assert printed_passwords(output) == {} and "kept their passwords" in output
    assert authenticate(username="admin", password=first["admin"]) is not None
    assert Image.objects.filter(project__name="Demo").count() == 6  # photos are duplicates the second time


@pytest.mark.django_db
def test_reset_passwords_gives_new_random_ones(var_dir):
    first = printed_passwords(seed())
    second = printed_passwords(seed("--reset-passwords"))
    assert set(second) == {"admin", "annotator", "reviewer"}
    assert all(second[name] != first[name] for name in second)
    assert authenticate(username="reviewer", password=second["reviewer"]) is not None
    assert f"reviewer  {second['reviewer']}" in (var_dir / "demo-credentials.txt").read_text()


@pytest.mark.django_db
def test_an_existing_account_is_not_altered(var_dir):
    from tests.factories import UserFactory

    UserFactory(username="annotator")  # someone's real account, password "pass-word-123", not staff
    output = seed()
    assert set(printed_passwords(output)) == {"admin", "reviewer"}
    user = authenticate(username="annotator", password="pass-word-123")
    assert user is not None and not user.is_staff
    assert Membership.objects.get(project__name="Demo", user=user).role == Role.ANNOTATOR


@pytest.mark.django_db
def test_once_is_a_no_op_when_the_demo_exists(var_dir):
    first = printed_passwords(seed("--once"))
    output = seed("--once")
    assert "already exists" in output and str(var_dir / "demo-credentials.txt") in output
    assert printed_passwords(output) == {}
    assert authenticate(username="admin", password=first["admin"]) is not None
    assert Project.objects.filter(name="Demo").count() == 1


@pytest.mark.django_db
def test_a_project_or_label_named_like_the_demo_in_other_case_is_reused_not_a_crash(var_dir):
    """Project and label names are unique ignoring case; the seed must look them up the same way."""
    project = Project.objects.create(name="DEMO")
    Label.objects.create(project=project, name="Person", color="#123456")
    output = seed()
    assert "Demo project 'DEMO'" in output
    assert Project.objects.filter(name__iexact="demo").count() == 1
    assert list(project.labels.filter(name__iexact="person").values_list("name", "color")) == [("Person", "#123456")]
    assert project.images.count() > 0
