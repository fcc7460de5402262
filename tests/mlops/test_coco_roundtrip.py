"""An exported COCO file imported into a new project exports again to the same annotations."""

import json

import orjson
import pytest

from annotations.errors import InvalidInput
from annotations.exports.coco import coco_import
from annotations.exports.service import dataset_export
from annotations.models import AnnotationEvent, Box, Image
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def normalised(path):
    """The COCO file without database ids: images by file, boxes by (file, category name)."""
    data = json.loads(path.read_text())
    cats = {c["id"]: c["name"] for c in data["categories"]}
    files = {i["id"]: i["file_name"] for i in data["images"]}
    return {
        "categories": sorted((c["name"], c["color"], c["prompt"]) for c in data["categories"]),
        "images": sorted((i["file_name"], i["width"], i["height"], i["sha256"], i["frame_index"])
                         for i in data["images"]),
        "annotations": sorted((files[a["image_id"]], cats[a["category_id"]], a["bbox"], a["area"])
                              for a in data["annotations"]),
    }


def test_coco_export_import_export_gives_identical_annotations(dataset_project, manager, tmp_path):
    dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory(name="copy")
    counts = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert counts == {"images": 3, "new_images": 3, "labels": 3, "boxes": 4, "boxes_already_there": 0, "tracks": 0}
    assert AnnotationEvent.objects.filter(image__project=target, action="create", user=manager).count() == 4
    dataset_export(project=target, format="coco", only="all", out=tmp_path / "b")
    first, second = normalised(tmp_path / "a" / "annotations.json"), normalised(tmp_path / "b" / "annotations.json")
    assert first == second
    assert len(first["annotations"]) == 4


def test_importing_twice_does_not_duplicate_frames_or_boxes(dataset_project, manager, tmp_path):
    dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    first = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    again = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert (first["boxes"], first["boxes_already_there"]) == (4, 0)
    assert (again["new_images"], again["boxes"], again["boxes_already_there"]) == (0, 0, 4)
    assert Image.objects.filter(project=target).count() == 3
    assert Box.objects.filter(image__project=target).count() == 4
    assert AnnotationEvent.objects.filter(image__project=target).count() == 4


def test_a_box_moved_since_the_import_comes_back_from_a_second_import(dataset_project, manager, tmp_path):
    """Only identical boxes are skipped: a box someone has moved since is another box."""
    dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    moved = Box.objects.filter(image__project=target).order_by("id").first()
    Box.objects.filter(pk=moved.pk).update(x_min=moved.x_min + 0.5)
    again = coco_import(project=target, user=manager, path=tmp_path / "a" / "annotations.json")
    assert (again["boxes"], again["boxes_already_there"]) == (1, 3)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("images"),
        lambda d: d["images"][0].update(file_name="../../etc/passwd"),
        lambda d: d["images"][0].update(file_name="missing.png"),
        lambda d: d["annotations"][0].update(bbox=[1, 2, 3]),
        lambda d: d["annotations"][0].update(category_id=987654),
        lambda d: d["annotations"][0].update(bbox=[-5, 1, 2, 2]),
    ],
)
def test_a_bad_coco_file_is_refused_and_nothing_is_kept(dataset_project, manager, tmp_path, mutate):
    dataset_export(project=dataset_project, format="coco", only="all", out=tmp_path / "a")
    path = tmp_path / "a" / "annotations.json"
    data = json.loads(path.read_text())
    mutate(data)
    path.write_bytes(orjson.dumps(data))
    target = ProjectFactory()
    with pytest.raises(InvalidInput):
        coco_import(project=target, user=manager, path=path)
    assert not Image.objects.filter(project=target).exists()
    assert not Box.objects.filter(image__project=target).exists()
    assert not target.labels.exists()
