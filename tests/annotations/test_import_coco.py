"""`import_images PROJECT file.json`: a malformed COCO file is a CommandError naming the field; re-imports
are linear."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotations.exports import coco
from annotations.models import Box, Image, Label
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401
from tests.factories import UserFactory, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def good():
    return {
        "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 80}],
        "categories": [{"id": 1, "name": "truck"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 30]}],
    }


def run(project, path) -> str:
    out = io.StringIO()
    call_command("import_images", str(project.pk), str(path), stdout=out)
    return out.getvalue()


def broken(change):
    data = good()
    change(data)
    return data


@pytest.mark.parametrize(
    "data,field",
    [
        ([1, 2], "the file"),
        (broken(lambda d: d.pop("images")), "images"),
        (broken(lambda d: d.update(annotations={"1": {}})), "annotations"),
        (broken(lambda d: d["images"].append("b.png")), "images[1]"),
        (broken(lambda d: d["images"][0].update(id=[1])), "images[0].id"),
        (broken(lambda d: d["images"][0].update(id=True)), "images[0].id"),
        (broken(lambda d: d["images"][0].update(file_name=None)), "images[0].file_name"),
        (broken(lambda d: d["images"].append({"id": 1, "file_name": "a.png"})), "images[1].id"),
        (broken(lambda d: d["categories"][0].pop("name")), "categories[0].name"),
        (broken(lambda d: d["categories"][0].update(color="red")), "categories[0].color"),
        (broken(lambda d: d["categories"][0].update(prompt=7)), "categories[0].prompt"),
        (broken(lambda d: d["annotations"][0].update(image_id="1")), "annotations[0].image_id"),
        (broken(lambda d: d["annotations"][0].update(image_id=9)), "annotations[0].image_id"),
        (broken(lambda d: d["annotations"][0].update(category_id=9)), "annotations[0].category_id"),
        (broken(lambda d: d["annotations"][0].update(bbox=[1, 2, 3])), "annotations[0].bbox"),
        (broken(lambda d: d["annotations"][0].update(bbox=[1, 2, 3, True])), "annotations[0].bbox"),
        (broken(lambda d: d["annotations"][0].update(bbox=[1, 2, -3, 4])), "annotations[0].bbox"),
    ],
)
def test_a_malformed_coco_file_is_a_command_error_naming_the_field(project, admin, tmp_path, data, field):
    (tmp_path / "a.png").write_bytes(png_bytes(100, 80))
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as raised:
        run(project, path)
    assert f"Malformed COCO file: {field} " in str(raised.value)
    assert not Image.objects.exists() and not Box.objects.exists() and not Label.objects.exists()


def test_re_importing_20000_boxes_on_one_frame_is_linear_not_quadratic(project, admin, tmp_path, monkeypatch):
    """One frame, one label, 20,000 boxes already there: the import compares each box with a handful, not 20,000."""
    count = 20_000
    (tmp_path / "a.png").write_bytes(png_bytes(4000, 3000))
    data = good()
    data["images"][0].update(width=4000, height=3000)
    data["annotations"] = []
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(data))
    run(project, path)  # the frame and the label
    image, label = Image.objects.get(), Label.objects.get()
    bboxes = [[(i % 200) * 19.5, (i // 200) * 29.5, 12.25, 18.125] for i in range(count)]
    Box.objects.bulk_create(  # as a first import left them, without its history (not under test here)
        Box(image=image, label=label, x_min=x, y_min=y, x_max=x + w, y_max=y + h) for x, y, w, h in bboxes
    )
    data["annotations"] = [{"id": i, "image_id": 1, "category_id": 1, "bbox": b} for i, b in enumerate(bboxes)]
    path.write_text(json.dumps(data))
    indexes = []
    original = coco.ExistingBoxes

    def recording(rows):
        indexes.append(original(rows))
        return indexes[-1]

    monkeypatch.setattr(coco, "ExistingBoxes", recording)
    output = run(project, path)

    assert Box.objects.count() == count and "boxes 0" in output and f"boxes already there {count}" in output
    assert indexes[-1].found == count
    assert indexes[-1].comparisons <= 2 * count  # the nested scan made up to 200,000,000
