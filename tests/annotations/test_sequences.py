"""Sequences: ingest makes one per upload batch and per zip folder; managers rename and move frames."""

import io

import pytest

from annotations.exports.splits import frame_groups
from annotations.models import Image, Sequence
from tests.annotations.upload_helpers import zip_bytes
from tests.factories import ImageFactory, png_bytes

pytestmark = pytest.mark.django_db


def _file(name, data):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def _upload(api, project, *files, **extra):
    response = api.post(f"/api/projects/{project.pk}/images/", {"file": list(files), **extra}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()["images"]


def test_each_zip_folder_is_a_sequence_named_after_it_and_the_root_after_the_zip(client_for, manager, project):
    archive = zip_bytes({
        "walk/1.png": png_bytes(20, 20, (1, 0, 0)), "walk/2.png": png_bytes(20, 20, (2, 0, 0)),
        "run/1.png": png_bytes(20, 20, (3, 0, 0)), "loose.png": png_bytes(20, 20, (4, 0, 0)),
    })  # fmt: skip
    images = _upload(client_for(manager), project, _file("clips.zip", archive))
    names = {image["original_name"]: Sequence.objects.get(pk=image["sequence"]).name for image in images}
    assert names == {"walk/1.png": "walk", "walk/2.png": "walk", "run/1.png": "run", "loose.png": "clips"}


def test_a_batch_of_loose_files_is_one_sequence_and_a_later_request_can_join_it(client_for, manager, project):
    api = client_for(manager)
    first = _upload(api, project, _file("a.png", png_bytes(20, 20, (5, 0, 0))), _file("b.png", png_bytes(20, 20, (6, 0, 0))))
    assert len({image["sequence"] for image in first}) == 1 and first[0]["sequence"] is not None
    joined = _upload(api, project, _file("c.png", png_bytes(20, 20, (7, 0, 0))), sequence=first[0]["sequence"])
    assert joined[0]["sequence"] == first[0]["sequence"]
    other = _upload(api, project, _file("d.png", png_bytes(20, 20, (8, 0, 0))))
    assert other[0]["sequence"] != first[0]["sequence"]
    bad = api.post(f"/api/projects/{project.pk}/images/", {"file": [_file("e.png", png_bytes(20, 20, (9, 0, 0)))], "sequence": 999999}, format="multipart")
    assert bad.status_code == 400 and Image.objects.count() == 4


def test_a_folder_name_in_use_gets_the_next_free_one(client_for, manager, project):
    Sequence.objects.create(project=project, name="WALK")
    images = _upload(client_for(manager), project, _file("x.zip", zip_bytes({"walk/1.png": png_bytes(20, 20, (1, 1, 0))})))
    assert Sequence.objects.get(pk=images[0]["sequence"]).name == "walk (2)"


def test_sequences_are_listed_with_frame_count_and_first_frame_and_renamed_by_managers(
    client_for, manager, annotator, project, django_assert_max_num_queries
):
    sequence = Sequence.objects.create(project=project, name="clip")
    frames = [ImageFactory(project=project, sequence=sequence, frame_index=n) for n in (5, 3, 9)]
    Sequence.objects.create(project=project, name="taken")
    api = client_for(annotator)
    with django_assert_max_num_queries(6):
        listed = api.get(f"/api/projects/{project.pk}/sequences/").json()["results"]
    assert listed[0] == {"id": sequence.pk, "project": project.pk, "name": "clip", "frame_count": 3, "first_frame": frames[1].pk}
    assert api.patch(f"/api/sequences/{sequence.pk}/", {"name": "new"}, format="json").status_code == 403
    boss = client_for(manager)
    assert boss.patch(f"/api/sequences/{sequence.pk}/", {"name": "TAKEN"}, format="json").status_code == 409
    assert boss.patch(f"/api/sequences/{sequence.pk}/", {"name": "  "}, format="json").status_code == 400
    assert boss.patch(f"/api/sequences/{sequence.pk}/", {"name": "Walk"}, format="json").json()["name"] == "Walk"


def test_a_manager_moves_a_frame_between_sequences(client_for, manager, annotator, project):
    one = Sequence.objects.create(project=project, name="one")
    two = Sequence.objects.create(project=project, name="two")
    image = ImageFactory(project=project, sequence=one)
    assert client_for(annotator).patch(f"/api/images/{image.pk}/", {"sequence": two.pk}, format="json").status_code == 403
    api = client_for(manager)
    assert api.patch(f"/api/images/{image.pk}/", {"sequence": two.pk}, format="json").json()["sequence"] == two.pk
    assert api.patch(f"/api/images/{image.pk}/", {"sequence": None}, format="json").json()["sequence"] is None
    foreign = Sequence.objects.create(project=ImageFactory().project, name="theirs")
    assert api.patch(f"/api/images/{image.pk}/", {"sequence": foreign.pk}, format="json").status_code == 400
    assert api.patch(f"/api/images/{image.pk}/", {}, format="json").status_code == 400


def test_export_splits_group_frames_by_sequence_before_metadata(project):
    clip = Sequence.objects.create(project=project, name="clip")
    a = ImageFactory(project=project, sequence=clip, metadata={"sequence": "x"})
    b = ImageFactory(project=project, sequence=clip, metadata={"sequence": "y"})
    c = ImageFactory(project=project, metadata={"sequence": "x"})
    d = ImageFactory(project=project)
    groups = sorted(sorted(ids) for ids in frame_groups(project_id=project.pk, only="all").values())
    assert groups == sorted([sorted([a.pk, b.pk]), [c.pk], [d.pk]])
