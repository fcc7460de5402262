"""COCO exports carry each box's track and keyframe; importing the file restores the tracks."""

import io
import json

import pytest
from pycocotools.coco import COCO

from annotations.errors import InvalidInput
from annotations.exports.coco import coco_import
from annotations.exports.service import dataset_export
from annotations.models import Box, Image, Label, Role, Sequence, Track
from annotations.services.ingest import images_ingest
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def tracks_of(project):
    """{(track number, label, sequence name): [(frame sha256, x_min, y_min, x_max, y_max, keyframe, source)]}."""
    out = {}
    for track in Track.objects.filter(project=project).select_related("label", "sequence"):
        boxes = Box.objects.filter(track=track, deleted=False).select_related("image").order_by("image__frame_index")
        out[(track.number, track.label.name, track.sequence.name if track.sequence else None)] = [
            (b.image.sha256, b.x_min, b.y_min, b.x_max, b.y_max, b.keyframe, b.source) for b in boxes
        ]
    return out


def frames_of(project):
    """[(sha256, sequence name)] in the project's frame order."""
    return [(i.sha256, i.sequence.name if i.sequence else None)
            for i in Image.objects.filter(project=project).select_related("sequence").order_by("frame_index")]


def test_coco_annotations_carry_the_track_number_and_keyframe(tracked_project, tmp_path):
    project, truth = tracked_project
    dataset = dataset_export(project=project, format="coco", only="all", out=tmp_path / "c", copy_images=False)
    coco = COCO(str(tmp_path / "c" / "annotations.json"))  # still loads in the reference reader
    boxes = {b.pk: b for b in Box.objects.filter(image__project=project, deleted=False).select_related("track")}
    anns = coco.loadAnns(coco.getAnnIds())
    assert sorted(a["id"] for a in anns) == sorted(boxes)
    for ann in anns:
        box = boxes[ann["id"]]
        assert ann.get("track_id") == (box.track.number if box.track else None)
        assert ann["attributes"] == {"keyframe": box.keyframe, "source": box.source}
    assert sum("track_id" not in a for a in anns) == 2  # the untracked boxes have none
    sequences = {img["sha256"]: img["sequence"] for img in coco.loadImgs(coco.getImgIds())}
    assert sequences == {frame.sha256: name for name, part in truth.items() for frame in part["frames"]}
    assert dataset.counts["tracks"] == 3


def test_coco_track_ids_round_trip_into_a_new_project(tracked_project, manager, tmp_path):
    project, _ = tracked_project
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory(name="copy")
    counts = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert (counts["tracks"], counts["boxes"], counts["new_images"]) == (3, 13, 10)
    assert tracks_of(target) == tracks_of(project)
    # Named sequences come back; frames the file puts in none share the one sequence ingest makes.
    copied = frames_of(target)
    (batch,) = {name for sha, name in copied if name.startswith("Upload ")}
    assert copied == [(sha, name or batch) for sha, name in frames_of(project)]
    assert set(Track.objects.filter(project=target).values_list("created_by", flat=True)) == {manager.pk}
    dataset_export(project=target, format="coco", only="all", out=tmp_path / "b", copy_images=False)
    assert _normalised(tmp_path / "a") == _normalised(tmp_path / "b")


def test_importing_twice_makes_no_second_track(tracked_project, manager, tmp_path):
    project, _ = tracked_project
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    again = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert (again["boxes"], again["boxes_already_there"], again["tracks"]) == (0, 13, 0)
    assert Track.objects.filter(project=target).count() == 3
    assert Sequence.objects.filter(project=target).count() == 3  # Clip A, clip/b, the upload of the others


def test_the_tracks_an_import_makes_are_announced_once_it_commits(
    tracked_project, manager, tmp_path, sent, django_capture_on_commit_callbacks
):
    """An open annotate page learns of them live (`track.created`, with the boxes they came with)."""
    project, _ = tracked_project
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    with django_capture_on_commit_callbacks(execute=True):
        coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    created = [(group, payload) for group, kind, payload in sent if kind == "track.created"]
    assert {group for group, _ in created} == {f"project.{target.pk}"}
    tracks = {track.pk: track for track in Track.objects.filter(project=target)}
    assert sorted(payload["track"]["id"] for _, payload in created) == sorted(tracks)
    for _, payload in created:
        shown, track = payload["track"], tracks[payload["track"]["id"]]
        live = Box.objects.filter(track=track, deleted=False)
        assert (shown["number"], shown["sequence"]) == (track.number, track.sequence_id)
        assert shown["box_count"] == live.count() > 0
        assert payload["user"] == {"id": manager.pk, "username": manager.username}
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert not [kind for _, kind, _ in sent if kind == "track.created"]  # nothing new, nothing announced


def test_a_box_missing_from_a_track_comes_back_into_that_track(tracked_project, manager, tmp_path):
    project, _ = tracked_project
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    walker = Track.objects.get(project=target, number=1)
    gone = Box.objects.filter(track=walker).order_by("image__frame_index")[2]
    Box.objects.filter(pk=gone.pk).update(deleted=True)
    again = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert (again["boxes"], again["tracks"]) == (1, 0)
    assert Box.objects.filter(track=walker, deleted=False).count() == 5


def test_taken_numbers_move_to_the_next_free_ones(tracked_project, manager, tmp_path):
    project, _ = tracked_project
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    thing = Label.objects.create(project=target, name="thing")
    Track.objects.create(project=target, label=thing, number=2)
    coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    numbers = {(t.number, t.label.name) for t in Track.objects.filter(project=target).select_related("label")}
    assert numbers == {(1, "person"), (2, "thing"), (4, "car"), (5, "person")}  # the file's #2 became #5


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["annotations"][0].update(track_id="one"), "annotations[0].track_id"),
    (lambda d: d["annotations"][0].update(attributes=[]), "annotations[0].attributes"),
    (lambda d: d["annotations"][0].update(attributes={"keyframe": "yes"}), "annotations[0].attributes.keyframe"),
    (lambda d: d["annotations"][0].update(attributes={"source": "magic"}), "annotations[0].attributes.source"),
    (lambda d: d["images"][0].update(sequence=""), "images[0].sequence"),
    (lambda d: d["annotations"].append({**d["annotations"][0], "id": 999, "bbox": [0, 0, 5, 5]}), "track_id"),
])
def test_a_malformed_track_is_refused_and_nothing_is_imported(tracked_project, manager, tmp_path, change, field):
    path = exported_with(tracked_project[0], tmp_path, change)
    target = ProjectFactory()
    with pytest.raises(InvalidInput, match=field.replace("[", r"\[").replace("]", r"\]")):
        coco_import(project=target, user=manager, path=path)
    assert not Image.objects.filter(project=target).exists() and not Track.objects.filter(project=target).exists()


def test_a_cvat_style_track_id_in_attributes_is_read_too(tracked_project, manager, tmp_path):
    def cvat_style(data):
        for ann in data["annotations"]:
            if "track_id" in ann:
                ann["attributes"]["track_id"] = ann.pop("track_id")

    project, _ = tracked_project
    target = ProjectFactory()
    coco_import(project=target, user=manager, path=exported_with(project, tmp_path, cvat_style))
    assert tracks_of(target) == tracks_of(project)


def exported_with(project, tmp_path, change):
    """The project's COCO export, its JSON passed through `change`; returns the file."""
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    path = tmp_path / "a" / "annotations.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _normalised(folder):
    data = json.loads((folder / "annotations.json").read_text())
    cats = {c["id"]: c["name"] for c in data["categories"]}
    files = {i["id"]: i["sha256"] for i in data["images"]}  # sequences: compared by frames_of
    return sorted((files[a["image_id"]], cats[a["category_id"]], a["bbox"], a.get("track_id"), a["attributes"])
                  for a in data["annotations"])


def test_the_coco_upload_after_its_images_restores_the_tracks_over_rest(tracked_project, manager, client_for, tmp_path):
    """The browser's path: the export's images uploaded first, then its JSON posted."""
    project, _ = tracked_project
    dataset_export(project=project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    MembershipFactory(project=target, user=manager, role=Role.MANAGER)
    images_ingest(project=target, user=manager, files=[(p.name, io.BytesIO(p.read_bytes()))
                                                       for p in sorted((tmp_path / "a" / "images").iterdir())])
    data = json.loads((tmp_path / "a" / "annotations.json").read_text())
    response = client_for(manager).post(f"/api/projects/{target.pk}/coco/", data, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["boxes"], response.json()["tracks"]) == (13, 3)
    assert {(n, label) for n, label, _ in tracks_of(target)} == {(n, label) for n, label, _ in tracks_of(project)}
    assert [boxes for _, boxes in sorted(tracks_of(target).items())] == [
        boxes for _, boxes in sorted(tracks_of(project).items())]
    broken = {**data, "annotations": [{**data["annotations"][0], "track_id": "seven"}]}
    refused = client_for(manager).post(f"/api/projects/{target.pk}/coco/", broken, format="json")
    assert refused.status_code == 400 and "track_id" in refused.json()["detail"]
