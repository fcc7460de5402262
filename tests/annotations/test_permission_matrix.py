"""Every `/api/` endpoint × {anonymous, non-member, annotator, reviewer, manager, staff} → expected status.

The table is data: one `Row` per (route, method) with the least role that may use it and the
status a permitted caller gets. From it: anonymous → 401, a non-member → 404 (existence is never
leaked), a member below the role → 403, the role and above (and staff) → the success status.
Each caller runs inside its own savepoint, so every one starts from the same world.

`test_every_api_endpoint_has_a_row` fails when an endpoint has no row: add one below.
Rows for endpoints not built yet are skipped until their route exists.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import get_resolver
from rest_framework.test import APIClient

from annotations.models import ROLE_RANK, Box, DatasetVersion, ImageStatus, Role, Sequence, Track
from annotations.services.invites import invite_create
from feedback.evaluation.models import Evaluation
from inference.models import DetectionJob, Prediction
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401 (autouse fixture)
from tests.factories import BoxFactory, ImageFactory, LabelFactory, MembershipFactory, UserFactory, png_bytes

CALLERS = ("anonymous", "outsider", "annotator", "reviewer", "manager", "staff")
A, R, M = Role.ANNOTATOR, Role.REVIEWER, Role.MANAGER
OPEN = "open"  # no project involved: every signed-in user gets the success status


@dataclass
class Row:
    method: str
    route: str  # the URL pattern as Django prints it, e.g. "api/boxes/<id:pk>/"
    path: Callable[[dict], str]
    role: str  # the least role, or OPEN
    ok: int
    body: Callable[[dict, object], dict] | None = None
    prepare: Callable[[dict, object], None] | None = None  # runs inside the caller's savepoint
    multipart: bool = False
    anonymous: int = 401

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"

    def expected(self, caller: str) -> int:
        if caller == "anonymous":
            return self.anonymous
        if self.role == OPEN or caller == "staff":
            return self.ok
        if caller == "outsider":
            return 404
        return self.ok if ROLE_RANK[caller] >= ROLE_RANK[self.role] else 403


def _box_by(world, user):
    from annotations.services.boxes import box_create

    box_create(image=world["image"], user=user, label=world["label"], x_min=1, y_min=1, x_max=9, y_max=9)


def _undone_by(world, user):
    from annotations.services.history import history_undo

    _box_by(world, user)
    history_undo(image=world["image"], user=user)


def _reset_token_throttle(world, user):
    cache.delete_many([f"throttle_token_{ip}" for ip in ("127.0.0.1", "None")])


def _evaluation_done(world, user):
    Evaluation.objects.filter(pk=world["evaluation"].pk).update(status="done", prompts={"person": "person"})
    world["evaluation"].refresh_from_db()


def _track_box_on_image(world, user):
    """Propagation starts from the track's box on the frame (rolled back with the call)."""
    Box.objects.create(image=world["image"], label=world["label"], track=world["track"], x_min=1, y_min=1, x_max=9, y_max=9)


def _job_running(world, user):
    DetectionJob.objects.filter(pk=world["job"].pk).update(status="running")


def _export_folder_cleared(world, user):
    """A rolled-back caller's export stays on disk without its DatasetVersion; the next caller's
    export would refuse that unknown folder, so each starts from none."""
    import shutil

    from annotations.exports import dvc
    from annotations.exports.service import project_slug

    shutil.rmtree(dvc.repo_dir() / project_slug(world["project"]), ignore_errors=True)


P = lambda suffix: lambda w: f"/api/projects/{w['project'].pk}/{suffix}"  # noqa: E731
U = lambda suffix: lambda w: f"/api/projects/{w['project'].pk}/uploads/{w.get('upload_id', '0' * 32)}/{suffix}"  # noqa: E731


def _upload_opened(world, user, data=b""):
    from annotations.services.chunked_uploads import chunk_write, upload_open

    upload = upload_open(project=world["project"], user=user, name="new.png", size=max(len(data), 100))
    if data:
        chunk_write(upload, offset=0, data=data)
    world["upload_id"] = upload.id


def _upload_sent(world, user):
    _upload_opened(world, user, png_bytes(32, 32, (251, 2, 98)))
I = lambda suffix: lambda w: f"/api/images/{w['image'].pk}/{suffix}"  # noqa: E731

ROWS = [
    # --- auth, projects, members, labels (A2)
    Row("POST", "api/auth/token/", lambda w: "/api/auth/token/", OPEN, 400, anonymous=400,
        body=lambda w, u: {"username": "nobody", "password": "wrong"}, prepare=_reset_token_throttle),
    Row("GET", "api/projects/", lambda w: "/api/projects/", OPEN, 200),
    Row("POST", "api/projects/", lambda w: "/api/projects/", OPEN, 201, body=lambda w, u: {"name": "Brand new"}),
    Row("GET", "api/projects/<id:pk>/", P(""), A, 200),
    Row("PATCH", "api/projects/<id:pk>/", P(""), M, 200, body=lambda w, u: {"description": "changed"}),
    Row("DELETE", "api/projects/<id:pk>/", P(""), M, 204),
    Row("GET", "api/projects/<id:project_id>/members/", P("members/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/members/", P("members/"), M, 201,
        body=lambda w, u: {"username": w["newcomer"].username, "role": "annotator"}),
    Row("PATCH", "api/projects/<id:project_id>/members/<id:user_id>/",
        lambda w: f"/api/projects/{w['project'].pk}/members/{w['victim'].pk}/", M, 200,
        body=lambda w, u: {"role": "reviewer"}),
    Row("DELETE", "api/projects/<id:project_id>/members/<id:user_id>/",
        lambda w: f"/api/projects/{w['project'].pk}/members/{w['victim'].pk}/", M, 204),
    Row("GET", "api/projects/<id:project_id>/invites/", P("invites/"), M, 200),
    Row("POST", "api/projects/<id:project_id>/invites/", P("invites/"), M, 201, body=lambda w, u: {"role": "reviewer"}),
    Row("DELETE", "api/projects/<id:project_id>/invites/<id:invite_id>/",
        lambda w: f"/api/projects/{w['project'].pk}/invites/{w['invite'].pk}/", M, 204),
    Row("GET", "api/projects/<id:project_id>/labels/", P("labels/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/labels/", P("labels/"), M, 201, body=lambda w, u: {"name": "new"}),
    Row("POST", "api/projects/<id:project_id>/labels/order/", P("labels/order/"), M, 200,
        body=lambda w, u: {"labels": sorted(w["project"].labels.values_list("pk", flat=True), reverse=True)}),
    Row("GET", "api/labels/<id:pk>/", lambda w: f"/api/labels/{w['spare_label'].pk}/", A, 200),
    Row("PATCH", "api/labels/<id:pk>/", lambda w: f"/api/labels/{w['spare_label'].pk}/", M, 200,
        body=lambda w, u: {"color": "#000000"}),
    Row("DELETE", "api/labels/<id:pk>/", lambda w: f"/api/labels/{w['spare_label'].pk}/", M, 204),
    # --- frames (A2)
    Row("GET", "api/projects/<id:project_id>/images/", P("images/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/images/", P("images/"), M, 201, multipart=True,
        body=lambda w, u: {"file": _png_upload()}),
    Row("POST", "api/projects/<id:project_id>/coco/", P("coco/"), M, 201,
        body=lambda w, u: {"images": [], "annotations": [], "categories": [{"id": 1, "name": "coco-only"}]}),
    Row("POST", "api/projects/<id:project_id>/uploads/", P("uploads/"), M, 201,
        body=lambda w, u: {"name": "big.zip", "size": 100}),
    Row("PUT", "api/projects/<id:project_id>/uploads/<key:upload_id>/chunks/", U("chunks/?offset=0"), M, 200,
        prepare=_upload_opened, body=lambda w, u: {"a": 1}),
    Row("DELETE", "api/projects/<id:project_id>/uploads/<key:upload_id>/", U(""), M, 204, prepare=_upload_opened),
    Row("POST", "api/projects/<id:project_id>/uploads/<key:upload_id>/complete/", U("complete/"), M, 201,
        prepare=_upload_sent),
    Row("GET", "api/images/<id:pk>/", I(""), A, 200),
    Row("GET", "api/images/<id:pk>/file/", I("file/"), A, 200),
    # --- boxes and history (A1)
    Row("GET", "api/images/<id:image_id>/boxes/", I("boxes/"), A, 200),
    Row("POST", "api/images/<id:image_id>/boxes/", I("boxes/"), A, 201,
        body=lambda w, u: {"label": w["label"].pk, "x_min": 1, "y_min": 1, "x_max": 5, "y_max": 5}),
    Row("GET", "api/boxes/<id:pk>/", lambda w: f"/api/boxes/{w['box'].pk}/", A, 200),
    Row("PATCH", "api/boxes/<id:pk>/", lambda w: f"/api/boxes/{w['box'].pk}/", A, 200,
        body=lambda w, u: {"version": 1, "x_max": 25}),
    Row("DELETE", "api/boxes/<id:pk>/", lambda w: f"/api/boxes/{w['box'].pk}/?version=1", A, 200),
    Row("POST", "api/images/<id:image_id>/undo/", I("undo/"), A, 200, prepare=_box_by),
    Row("POST", "api/images/<id:image_id>/redo/", I("redo/"), A, 200, prepare=_undone_by),
    Row("GET", "api/images/<id:image_id>/history/", I("history/"), A, 200),
    # --- frame feedback (A1)
    Row("GET", "api/images/<id:image_id>/feedback/", I("feedback/"), A, 200),
    Row("PUT", "api/images/<id:image_id>/feedback/", I("feedback/"), A, 200, body=lambda w, u: {"rating": 1}),
    Row("DELETE", "api/images/<id:image_id>/feedback/", I("feedback/"), A, 200),
    # --- review (E)
    Row("POST", "api/images/<id:image_id>/submit/", I("submit/"), A, 200),
    Row("POST", "api/images/<id:image_id>/review/", lambda w: f"/api/images/{w['submitted'].pk}/review/", R, 200,
        body=lambda w, u: {"decision": "approve"}),
    Row("GET", "api/projects/<id:project_id>/review-queue/", P("review-queue/"), R, 200),
    # --- datasets (G)
    Row("GET", "api/projects/<id:pk>/datasets/", P("datasets/"), A, 200),
    Row("POST", "api/projects/<id:pk>/datasets/", P("datasets/"), M, 201, prepare=_export_folder_cleared,
        body=lambda w, u: {"format": "coco", "only": "all"}),
    Row("GET", "api/datasets/<id:pk>/download/", lambda w: f"/api/datasets/{w['dataset'].pk}/download/", M, 200),
    # --- inference (D)
    Row("POST", "api/images/<id:image_id>/detect/", lambda w: f"/api/images/{w['fresh'].pk}/detect/", A, 202,
        body=lambda w, u: {"prompts": ["face"]}),
    Row("GET", "api/jobs/<id:pk>/", lambda w: f"/api/jobs/{w['job'].pk}/", A, 200),
    Row("GET", "api/images/<id:image_id>/predictions/", I("predictions/"), A, 200),
    Row("POST", "api/images/<id:image_id>/predictions/accept-all/", I("predictions/accept-all/"), A, 200),
    Row("POST", "api/images/<id:image_id>/predictions/reject-all/", I("predictions/reject-all/"), A, 200),
    Row("POST", "api/predictions/<id:pk>/accept/", lambda w: f"/api/predictions/{w['prediction'].pk}/accept/", A, 200),
    Row("POST", "api/predictions/<id:pk>/reject/", lambda w: f"/api/predictions/{w['prediction'].pk}/reject/", A, 200),
    Row("GET", "api/inference/status/", lambda w: "/api/inference/status/", OPEN, 200),
    # --- metrics and work queue (F)
    Row("GET", "api/projects/<id:project_id>/metrics/", P("metrics/"), A, 200),
    Row("GET", "api/projects/<id:project_id>/next/", P("next/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/next/", P("next/"), A, 200),
    # --- evaluations (issue 13)
    Row("GET", "api/projects/<id:project_id>/evaluations/", P("evaluations/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/evaluations/", P("evaluations/"), M, 202,
        body=lambda w, u: {"only": "all"}),
    Row("GET", "api/evaluations/<id:pk>/", lambda w: f"/api/evaluations/{w['evaluation'].pk}/", A, 200),
    Row("POST", "api/evaluations/<id:pk>/cancel/", lambda w: f"/api/evaluations/{w['evaluation'].pk}/cancel/", M, 200),
    Row("POST", "api/evaluations/<id:pk>/promote/", lambda w: f"/api/evaluations/{w['evaluation'].pk}/promote/", M, 200,
        prepare=_evaluation_done),
    Row("POST", "api/evaluations/<id:pk>/resume/", lambda w: f"/api/evaluations/{w['evaluation'].pk}/resume/", M, 202),
    Row("GET", "api/projects/<id:project_id>/thresholds/", P("thresholds/"), A, 200),
    Row("PUT", "api/projects/<id:project_id>/thresholds/", P("thresholds/"), M, 200, body=lambda w, u: {"enabled": False}),
    # --- tracks (issue 14)
    Row("GET", "api/projects/<id:project_id>/tracks/", P("tracks/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/tracks/", P("tracks/"), A, 201, body=lambda w, u: {"label": w["label"].pk}),
    Row("GET", "api/tracks/<id:pk>/", lambda w: f"/api/tracks/{w['track'].pk}/", A, 200),
    Row("GET", "api/tracks/<id:pk>/boxes/", lambda w: f"/api/tracks/{w['track'].pk}/boxes/", A, 200),
    Row("PATCH", "api/tracks/<id:pk>/", lambda w: f"/api/tracks/{w['track'].pk}/", A, 200,
        body=lambda w, u: {"label": w["spare_label"].pk}),
    Row("DELETE", "api/tracks/<id:pk>/", lambda w: f"/api/tracks/{w['track'].pk}/", A, 204),
    Row("POST", "api/tracks/<id:pk>/interpolate/", lambda w: f"/api/tracks/{w['track'].pk}/interpolate/", A, 200),
    Row("POST", "api/tracks/<id:pk>/end/", lambda w: f"/api/tracks/{w['track'].pk}/end/", A, 200,
        body=lambda w, u: {"image": w["image"].pk}),
    Row("POST", "api/images/<id:image_id>/copy-forward/", I("copy-forward/"), A, 201, body=lambda w, u: {"boxes": "all"}),
    Row("GET", "api/projects/<id:project_id>/sequences/", P("sequences/"), A, 200),
    Row("POST", "api/projects/<id:project_id>/sequences/", P("sequences/"), M, 201, body=lambda w, u: {"name": "new clip"}),
    Row("GET", "api/sequences/<id:pk>/", lambda w: f"/api/sequences/{w['sequence'].pk}/", A, 200),
    Row("PATCH", "api/sequences/<id:pk>/", lambda w: f"/api/sequences/{w['sequence'].pk}/", M, 200,
        body=lambda w, u: {"name": "renamed"}),
    Row("PATCH", "api/images/<id:pk>/", I(""), M, 200, body=lambda w, u: {"sequence": w["sequence"].pk}),
    Row("POST", "api/tracks/<id:pk>/propagate/", lambda w: f"/api/tracks/{w['track'].pk}/propagate/", A, 202,
        prepare=_track_box_on_image, body=lambda w, u: {"from_image": w["image"].pk, "frames": 3}),
    Row("POST", "api/jobs/<id:pk>/cancel/", lambda w: f"/api/jobs/{w['job'].pk}/cancel/", A, 200, prepare=_job_running),
    # --- schema and docs: public by design (they describe the API, they hold no data)
    Row("GET", "api/schema/", lambda w: "/api/schema/", OPEN, 200, anonymous=200),
    Row("GET", "api/docs/", lambda w: "/api/docs/", OPEN, 200, anonymous=200),
]  # fmt: skip


def _png_upload():
    import io

    stream = io.BytesIO(png_bytes(32, 32, (250, 1, 99)))
    stream.name = "new.png"
    return stream


def api_routes() -> dict[str, set[str]]:
    """{route: {METHOD, ...}} for every URL under /api/ in the current URLconf."""
    found: dict[str, set[str]] = {}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            route = prefix + str(pattern.pattern)
            view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if not route.startswith("api/") or view is None:
                continue
            found[route] = {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}

    walk(get_resolver().url_patterns)
    return found


def test_every_api_endpoint_has_a_row():
    covered = {(row.route, row.method) for row in ROWS}
    missing = sorted(
        f"{method} /{route}" for route, methods in api_routes().items() for method in methods
        if (route, method) not in covered
    )  # fmt: skip
    assert not missing, "Add a row to ROWS for: " + ", ".join(missing)


@pytest.fixture
def world(project, label, image, annotator, reviewer, manager, outsider, staff, tmp_path):
    victim = UserFactory(username="vic")
    MembershipFactory(project=project, user=victim, role=Role.ANNOTATOR)
    job = DetectionJob.objects.create(image=image, prompts=["person"], status="done", backend="test")
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "annotations.json").write_text("{}")
    return {
        "project": project,
        "label": label,
        "image": image,
        "fresh": ImageFactory(project=project),
        "submitted": ImageFactory(project=project, status=ImageStatus.SUBMITTED),
        "box": BoxFactory(image=image, label=label),
        "spare_label": LabelFactory(project=project, name="spare"),
        "victim": victim,
        "newcomer": UserFactory(username="newcomer"),
        "invite": invite_create(project=project, user=manager)[0],
        "job": job,
        "prediction": Prediction.objects.create(
            job=job, image=image, label=label, prompt="person", x_min=2, y_min=2, x_max=20, y_max=20, score=0.9
        ),
        "dataset": DatasetVersion.objects.create(project=project, format="coco", path=str(folder)),
        "evaluation": Evaluation.objects.create(project=project, backend="auto"),
        "track": Track.objects.create(project=project, label=label, number=1),
        "sequence": Sequence.objects.create(project=project, name="clip"),
        "users": {
            "annotator": annotator, "reviewer": reviewer, "manager": manager, "outsider": outsider, "staff": staff
        },
    }


class _Rollback(Exception):
    pass


def _call(row: Row, world: dict, caller: str) -> int:
    user = world["users"].get(caller)
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    status = None
    try:
        with transaction.atomic():
            if row.prepare and (user is not None and (row.role == OPEN or caller != "outsider")):
                row.prepare(world, user)
            body = row.body(world, user) if row.body else None
            kwargs = {"format": "multipart" if row.multipart else "json"} if body is not None else {}
            response = getattr(client, row.method.lower())(row.path(world), body, **kwargs)
            status = response.status_code
            raise _Rollback
    except _Rollback:
        pass
    return status


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_permission_matrix(row, world):
    if row.route not in api_routes():
        pytest.skip(f"{row.route} is not built yet")
    expected = {caller: row.expected(caller) for caller in CALLERS}
    actual = {caller: _call(row, world, caller) for caller in CALLERS}
    assert actual == expected

