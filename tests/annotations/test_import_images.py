"""`import_images PROJECT PATH`: folders, zips, the prototype's pickle (safely), COCO delegation."""

import io
import os
import pickle
import subprocess

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from annotations.models import AnnotationEvent, Box, Image, Label
from annotations.services.prototype import prototype_import, prototype_load
from annotations.models import FrameFeedback
from tests.annotations.upload_helpers import fast_password_hasher, jpeg_bytes, media_files, zip_bytes  # noqa: F401
from tests.factories import UserFactory, png_bytes


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_images", *map(str, args), stdout=out)
    return out.getvalue()


def prototype_pickle(path, *, frames=3, protocol=pickle.HIGHEST_PROTOCOL, **extra):
    rng = np.random.default_rng(7)
    data = {
        "rgb_frames": [rng.integers(0, 255, size=(40, 60, 3), dtype=np.uint8) for _ in range(frames)],
        "actions": [np.int64(i % 2) for i in range(frames)],
        "frame_info": [
            {
                # [y_min, y_max, x_min, x_max] — rows first, as the prototype stored them
                "bounding_boxes": [[5, 25, 10, 50]] if i != 1 else [[0, 10, 0, 10], [30, 100, 50, 200], [9, 9, 1, 2]],
                "human_feedback": [1, -1, 0][i % 3],
                "is_evaluated": i != 2,
            }
            for i in range(frames)
        ],
        **extra,
    }
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    return data


def test_a_folder_is_imported_sorted_and_recursive(project, admin, tmp_path):
    folder = tmp_path / "frames"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.png").write_bytes(png_bytes(color=(2, 0, 0)))
    (folder / "a.jpg").write_bytes(jpeg_bytes())
    (folder / "sub" / "c.png").write_bytes(png_bytes(color=(3, 0, 0)))
    (folder / "notes.txt").write_text("not a frame")
    output = run(project.pk, folder)
    names = list(Image.objects.filter(project=project).order_by("frame_index").values_list("original_name", flat=True))
    assert names == ["a.jpg", "b.png", "sub/c.png"]
    assert "3 new frames" in output and "1 non-image" in output
    assert all(i.uploaded_by == admin for i in Image.objects.all())


def test_project_by_name_and_a_zip(project, admin, tmp_path):
    archive = tmp_path / "frames.zip"
    archive.write_bytes(zip_bytes({"2.png": png_bytes(color=(2, 2, 2)), "1.png": png_bytes(color=(1, 1, 1))}))
    run(project.name, archive)
    assert list(Image.objects.order_by("frame_index").values_list("original_name", flat=True)) == ["1.png", "2.png"]


def test_importing_twice_reports_duplicates(project, admin, tmp_path):
    image = tmp_path / "one.png"
    image.write_bytes(png_bytes())
    run(project.pk, image)
    assert "1 duplicates" in run(project.pk, image)
    assert Image.objects.count() == 1


@pytest.mark.parametrize(
    "args,message",
    [
        (("999999", "x.png"), "No project"),
        (("{project}", "/no/such/path"), "does not exist"),
        (("{project}", "{bad}"), "bad.png"),
        (("{project}", "{png}", "--user", "nobody"), "No user named"),
    ],
)
def test_bad_arguments_are_clear_command_errors(project, admin, tmp_path, media_root, args, message):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    (tmp_path / "ok.png").write_bytes(png_bytes())
    values = {"project": project.pk, "bad": tmp_path / "bad.png", "png": tmp_path / "ok.png"}
    with pytest.raises(CommandError, match=message):
        run(*[a.format(**values) for a in args])
    assert Image.objects.count() == 0 and media_files(media_root) == set()


def test_without_a_superuser_the_user_must_be_given(project, tmp_path):
    (tmp_path / "ok.png").write_bytes(png_bytes())
    with pytest.raises(CommandError, match="--user"):
        run(project.pk, tmp_path / "ok.png")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_the_prototype_pickle_is_imported_with_boxes_actions_and_feedback(project, admin, tmp_path, protocol):
    path = tmp_path / "images.pkl"
    data = prototype_pickle(path, protocol=protocol)
    output = run(project.pk, path, "--user", admin.username)
    frames = list(Image.objects.filter(project=project).order_by("frame_index"))
    assert [f.metadata["action"] for f in frames] == [0, 1, 0]
    assert [f.frame_index for f in frames] == [0, 1, 2]
    assert (frames[0].width, frames[0].height, frames[0].format) == (60, 40, "PNG")
    # the stored pixels are the prototype's pixels, in order
    from PIL import Image as PILImage

    with frames[1].file.open("rb") as stored:
        assert np.array_equal(np.asarray(PILImage.open(stored)), data["rgb_frames"][1])
    first = Box.objects.get(image=frames[0])
    assert (first.x_min, first.y_min, first.x_max, first.y_max) == (10, 5, 50, 25)  # from [y_min, y_max, x_min, x_max]
    assert first.label.name == "object" and first.created_by == admin
    second = Box.objects.filter(image=frames[1]).order_by("id")
    # the second box is clipped to the 60x40 frame, the degenerate third one skipped
    assert [(b.x_min, b.y_min, b.x_max, b.y_max) for b in second] == [(0, 0, 10, 10), (50, 30, 60, 40)]
    assert AnnotationEvent.objects.filter(action="create", box__isnull=False).count() == 4
    ratings = dict(FrameFeedback.objects.filter(user=admin).values_list("image__frame_index", "rating"))
    assert ratings == {0: 1, 1: -1}  # frame 2 was not evaluated
    assert "4 boxes" in output and "1 skipped" in output


def test_a_label_may_be_named_and_a_second_import_adds_nothing(project, admin, tmp_path):
    path = tmp_path / "images.pkl"
    prototype_pickle(path)
    run(project.pk, path, "--label", "car")
    run(project.pk, path, "--label", "car")
    assert Label.objects.filter(project=project).count() == 1
    assert Label.objects.get(project=project).name == "car"
    assert Box.objects.count() == 4 and Image.objects.count() == 3


def test_a_pickle_without_optional_keys_imports_frames_only(project, admin, tmp_path):
    path = tmp_path / "images.pkl"
    path.write_bytes(pickle.dumps({"rgb_frames": [np.zeros((8, 8, 3), np.uint8), np.ones((8, 8, 3), np.uint8)]}))
    result = prototype_import(project=project, user=admin, path=path)
    assert (result.new_images, result.boxes, result.feedback) == (2, 0, 0)
    assert not Label.objects.exists()


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _SubprocessExploit(_Exploit):
    def __reduce__(self):
        return (subprocess.check_call, (["touch", str(self.marker)],))


class _EvalExploit(_Exploit):
    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("exploit", [_Exploit, _SubprocessExploit, _EvalExploit])
def test_a_malicious_pickle_is_refused_and_runs_nothing(project, admin, tmp_path, media_root, exploit):
    marker = tmp_path / "pwned"
    path = tmp_path / "images.pkl"
    path.write_bytes(pickle.dumps({"rgb_frames": [np.zeros((4, 4, 3), np.uint8)], "evil": exploit(marker)}))
    with pytest.raises(CommandError, match="Refusing to load"):
        run(project.pk, path)
    assert not marker.exists()
    assert Image.objects.count() == 0 and media_files(media_root) == set()


@pytest.mark.parametrize(
    "payload,message",
    [
        ({"frames": []}, "rgb_frames"),
        ({"rgb_frames": [np.zeros((4, 4), np.uint8)]}, "frame 0"),
        ({"rgb_frames": [np.zeros((4, 4, 3), np.float32)]}, "frame 0"),
        ({"rgb_frames": [np.zeros((4, 4, 3), np.uint8)], "actions": [1, 2]}, "actions"),
    ],
)
def test_a_pickle_of_the_wrong_shape_is_refused(tmp_path, payload, message):
    path = tmp_path / "images.pkl"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(Exception, match=message):
        prototype_load(path)


def test_a_truncated_pickle_is_a_clear_error(project, admin, tmp_path):
    path = tmp_path / "images.pkl"
    prototype_pickle(path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CommandError, match="not a readable pickle"):
        run(project.pk, path)


def test_a_failure_half_way_keeps_nothing(project, admin, tmp_path, media_root, monkeypatch):
    """Frames are ingested before the boxes; a failing box write rolls back rows and files alike."""
    path = tmp_path / "images.pkl"
    prototype_pickle(path)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("annotations.services.prototype.event_record", broken)
    with pytest.raises(RuntimeError):
        run(project.pk, path)
    assert Image.objects.count() == 0 and Box.objects.count() == 0
    assert media_files(media_root) == set()


def test_a_coco_json_is_delegated_to_the_coco_importer(project, admin, tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes(100, 80))
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 80}],
        "categories": [{"id": 1, "name": "truck"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 30]}],
    }
    import json

    (tmp_path / "coco.json").write_text(json.dumps(coco))
    output = run(project.pk, tmp_path / "coco.json")
    assert "COCO import" in output
    box = Box.objects.get()
    assert (box.label.name, box.x_min, box.y_min, box.x_max, box.y_max) == ("truck", 10, 10, 30, 40)
