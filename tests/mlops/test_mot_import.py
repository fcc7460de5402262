"""A MOTChallenge folder imported: sequences, frames and tracks come back, and an export of the
imported project writes the same files."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.errors import InvalidInput
from annotations.exports.mot_import import mot_import
from annotations.exports.service import dataset_export
from annotations.models import Box, Image, Sequence, Track
from tests.factories import ProjectFactory, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated")]


def files_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_mot_export_imported_into_a_new_project_exports_the_same_files(tracked_project, manager, tmp_path):
    project, _ = tracked_project
    dataset_export(project=project, format="mot", only="all", out=tmp_path / "a")
    target = ProjectFactory(name="copy")
    out = io.StringIO()
    call_command("import_images", str(target.pk), str(tmp_path / "a"), "--user", manager.username, "--label", "person",
                 stdout=out)
    assert "MOT import" in out.getvalue() and "sequences 3" in out.getvalue()
    # The two untracked boxes come back as one-box tracks with the ids they were exported with.
    assert sorted(Track.objects.filter(project=target).values_list("number", flat=True)) == [1, 2, 4, 5, 6]
    assert sorted(Sequence.objects.filter(project=target).values_list("name", flat=True)) == [
        "Clip A", "clip/b", "unsequenced"]
    walker = Track.objects.get(project=target, number=1)
    assert walker.sequence.name == "Clip A" and Box.objects.filter(track=walker).count() == 5
    dataset_export(project=target, format="mot", only="all", out=tmp_path / "b")
    assert files_of(tmp_path / "b") == files_of(tmp_path / "a")


def test_importing_twice_adds_nothing(tracked_project, manager, tmp_path):
    project, _ = tracked_project
    dataset_export(project=project, format="mot", only="all", out=tmp_path / "a")
    target = ProjectFactory()
    mot_import(project=target, user=manager, path=tmp_path / "a", label="person")
    again = mot_import(project=target, user=manager, path=tmp_path / "a", label="person")
    assert (again["new_images"], again["boxes"], again["tracks"]) == (0, 0, 0)
    assert Track.objects.filter(project=target).count() == 5


def _mot17_sequence(root, name, lines, frames=3):
    """A sequence laid out as MOT17's train/ is: ids restart at 1 in every sequence."""
    folder = root / name
    (folder / "img1").mkdir(parents=True)
    (folder / "gt").mkdir()
    for n in range(1, frames + 1):
        (folder / "img1" / f"{n:06d}.jpg").write_bytes(png_bytes(100, 80, (ord(name[-1]), n, 7)))
    (folder / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nimDir=img1\nframeRate=25\nseqLength={frames}\n"
                                        "imWidth=100\nimHeight=80\nimExt=.jpg\n")
    (folder / "gt" / "gt.txt").write_text("".join(f"{line}\n" for line in lines))


def test_mot17_style_sequences_get_one_track_per_object_per_sequence(manager, tmp_path):
    _mot17_sequence(tmp_path, "MOT17-02", ["1,1,11,21,10,10,1,1,1", "2,1,12,21,10,10,1,1,0.8",
                                           "1,2,-4,1,10,10,1,1,1",  # reaches past the left edge: clipped
                                           "3,2,50,50,10,10,0,7,1"])  # "do not consider": skipped
    _mot17_sequence(tmp_path, "MOT17-04", ["1,1,31,31,5,5,1,1,1", "3,1,33,31,5,5,1,1,1"])
    target = ProjectFactory()
    counts = mot_import(project=target, user=manager, path=tmp_path, label="pedestrian")
    assert (counts["sequences"], counts["new_images"], counts["boxes"], counts["tracks"]) == (2, 6, 5, 3)
    tracks = {(t.sequence.name, t.number): sorted((b.image.frame_index, b.x_min, b.y_min, b.x_max, b.y_max)
                                                  for b in t.boxes.select_related("image"))
              for t in Track.objects.filter(project=target).select_related("sequence")}
    first = Image.objects.filter(project=target, sequence__name="MOT17-02").order_by("frame_index")
    other = Image.objects.filter(project=target, sequence__name="MOT17-04").order_by("frame_index")
    f = [i.frame_index for i in first] + [i.frame_index for i in other]
    assert tracks == {
        ("MOT17-02", 1): [(f[0], 10.0, 20.0, 20.0, 30.0), (f[1], 11.0, 20.0, 21.0, 30.0)],
        ("MOT17-02", 2): [(f[0], 0.0, 0.0, 5.0, 10.0)],
        ("MOT17-04", 3): [(f[3], 30.0, 30.0, 35.0, 35.0), (f[5], 32.0, 30.0, 37.0, 35.0)],  # id 1 again: a new track
    }


@pytest.mark.parametrize(("line", "message"), [
    ("1,1,a,b,c,d", "comma-separated numbers"),
    ("1.5,1,1,1,5,5", "integer frame and id"),
    ("9,1,1,1,5,5,1", "frame 9 has no image"),
    ("1,1,1,1", "expected frame,id"),
])
def test_a_bad_gt_line_is_refused_naming_the_line_and_nothing_is_imported(manager, tmp_path, line, message):
    _mot17_sequence(tmp_path, "seq", ["1,1,11,21,10,10,1,1,1", line])
    target = ProjectFactory()
    with pytest.raises(InvalidInput, match=f"seq/gt/gt.txt line 2: .*{message}"):
        mot_import(project=target, user=manager, path=tmp_path / "seq", label="x")
    assert not Image.objects.filter(project=target).exists()


def test_a_folder_without_sequences_is_still_a_folder_of_images(manager, tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.png").write_bytes(png_bytes())
    target = ProjectFactory()
    out = io.StringIO()
    call_command("import_images", str(target.pk), str(tmp_path / "plain"), "--user", manager.username, stdout=out)
    assert "1 new frames" in out.getvalue() and "MOT" not in out.getvalue()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "seqinfo.ini").write_text("[Sequence]\nname=b\n")
    with pytest.raises(CommandError, match="img1"):
        call_command("import_images", str(target.pk), str(tmp_path / "broken"), "--user", manager.username,
                     stdout=io.StringIO())
