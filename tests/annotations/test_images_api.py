"""Frames over REST: the DESIGN.md shape, neighbours by frame_index, filters, pagination, bounded queries."""

import pytest

from annotations.models import ImageStatus
from annotations.selectors.images import image_neighbours
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401 (autouse fixture)
from tests.factories import BoxFactory, ImageFactory, ProjectFactory

IMAGE_FIELDS = {"id", "project", "frame_index", "width", "height", "sha256", "status", "metadata", "previous", "next"}


@pytest.fixture
def frames(project):
    """Five frames created out of order; frame_index decides the order."""
    return [ImageFactory(project=project, frame_index=i) for i in (3, 0, 4, 1, 2)]


def test_detail_has_the_design_shape_and_neighbours(client_for, annotator, frames):
    by_index = {f.frame_index: f for f in frames}
    response = client_for(annotator).get(f"/api/images/{by_index[2].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert IMAGE_FIELDS <= set(body)
    assert body["previous"] == by_index[1].pk and body["next"] == by_index[3].pk
    assert body["file_url"] == f"/api/images/{by_index[2].pk}/file/"
    assert body["box_count"] == 0 and body["status"] == "new"


def test_first_and_last_frames_have_no_previous_and_no_next(frames):
    by_index = {f.frame_index: f for f in frames}
    assert image_neighbours(image=by_index[0]) == (None, by_index[1].pk)
    assert image_neighbours(image=by_index[4]) == (by_index[3].pk, None)


def test_equal_frame_indices_are_ordered_by_id(project):
    a, b = ImageFactory(project=project, frame_index=7), ImageFactory(project=project, frame_index=7)
    assert image_neighbours(image=a) == (None, b.pk)
    assert image_neighbours(image=b) == (a.pk, None)


def test_neighbours_stay_inside_the_project(project, frames):
    ImageFactory(project=ProjectFactory(), frame_index=2)
    ImageFactory(project=ProjectFactory(), frame_index=5)
    by_index = {f.frame_index: f for f in frames}
    assert image_neighbours(image=by_index[4]) == (by_index[3].pk, None)


def test_list_is_ordered_by_frame_index(client_for, annotator, project, frames):
    body = client_for(annotator).get(f"/api/projects/{project.pk}/images/").json()
    assert body["count"] == 5
    assert [i["frame_index"] for i in body["results"]] == [0, 1, 2, 3, 4]
    assert {"count", "next", "previous", "results"} <= set(body)


def test_list_filters_by_status_and_frame_range(client_for, annotator, project, frames):
    frames[0].status = ImageStatus.SUBMITTED
    frames[0].save()
    frames[1].status = ImageStatus.APPROVED
    frames[1].save()
    client = client_for(annotator)
    url = f"/api/projects/{project.pk}/images/"
    assert [i["id"] for i in client.get(url, {"status": "submitted"}).json()["results"]] == [frames[0].pk]
    both = client.get(url + "?status=submitted&status=approved").json()["results"]
    assert {i["id"] for i in both} == {frames[0].pk, frames[1].pk}
    ranged = client.get(url, {"frame_index_min": 1, "frame_index_max": 3}).json()["results"]
    assert [i["frame_index"] for i in ranged] == [1, 2, 3]


@pytest.mark.parametrize("query", ["status=bogus", "frame_index_min=-1", "frame_index_max=abc", "frame_index_min=1e40"])
def test_a_bad_filter_value_is_400(client_for, annotator, project, query):
    response = client_for(annotator).get(f"/api/projects/{project.pk}/images/?{query}")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_list_paginates(client_for, annotator, project, frames):
    body = client_for(annotator).get(f"/api/projects/{project.pk}/images/?page_size=2&page=2").json()
    assert [i["frame_index"] for i in body["results"]] == [2, 3]
    assert body["next"] and body["previous"]


def test_box_count_counts_live_boxes_only(client_for, annotator, image):
    BoxFactory(image=image)
    BoxFactory(image=image)
    BoxFactory(image=image, deleted=True)
    assert client_for(annotator).get(f"/api/images/{image.pk}/").json()["box_count"] == 2


def test_frames_carry_the_callers_own_rating(client_for, annotator, reviewer, project, frames):
    from annotations.models import FrameFeedback

    FrameFeedback.objects.create(image=frames[1], user=annotator, rating=-1)  # frame_index 0
    FrameFeedback.objects.create(image=frames[3], user=reviewer, rating=1)  # someone else's
    results = client_for(annotator).get(f"/api/projects/{project.pk}/images/").json()["results"]
    assert [i["my_rating"] for i in results] == [-1, None, None, None, None]
    assert client_for(annotator).get(f"/api/images/{frames[1].pk}/").json()["my_rating"] == -1


def test_list_queries_do_not_grow_with_frames_or_boxes(client_for, annotator, project, django_assert_max_num_queries):
    from annotations.models import FrameFeedback

    for i in range(30):
        frame = ImageFactory(project=project, frame_index=i)
        BoxFactory(image=frame)
        FrameFeedback.objects.create(image=frame, user=annotator, rating=1)
    client = client_for(annotator)
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/projects/{project.pk}/images/?page_size=100")
    assert len(response.json()["results"]) == 30


def test_outsiders_get_404_for_list_and_detail(client_for, outsider, project, image):
    client = client_for(outsider)
    assert client.get(f"/api/projects/{project.pk}/images/").status_code == 404
    assert client.get(f"/api/images/{image.pk}/").status_code == 404


def test_staff_see_any_frame(client_for, staff, image):
    assert client_for(staff).get(f"/api/images/{image.pk}/").status_code == 200
