"""Two uploads to one project at the same time: no 500 from the unique constraint, dense frame indices."""

import io
import threading

import pytest
from django.db import connection

from annotations.models import Image
from annotations.services.ingest import images_ingest
from tests.annotations.upload_helpers import fast_password_hasher, media_files  # noqa: F401 (autouse fixture)
from tests.factories import ProjectFactory, UserFactory, png_bytes


def _race(project, user, batches):
    """Run one ingest per batch on its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(batches))
    results, errors = [None] * len(batches), []

    def work(index, files):
        try:
            barrier.wait(timeout=10)
            results[index] = images_ingest(
                project=project, user=user, files=[(name, io.BytesIO(data)) for name, data in files]
            )
        except Exception as exc:  # reported below; the test asserts there is none
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, files)) for i, files in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_the_same_file_uploaded_twice_at_once_is_stored_once(media_root):
    project, user = ProjectFactory(), UserFactory()
    data = png_bytes(color=(40, 41, 42))
    results, errors = _race(project, user, [[("a.png", data)], [("b.png", data)]])
    assert errors == []
    assert sorted(len(r.images) for r in results) == [0, 1]
    assert sorted(len(r.duplicates) for r in results) == [0, 1]
    assert Image.objects.filter(project=project).count() == 1
    assert len([f for f in media_files(media_root) if f.startswith("projects/")]) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_distinct_consecutive_frame_indices():
    project, user = ProjectFactory(), UserFactory()
    batches = [[(f"{t}-{i}.png", png_bytes(color=(t, i, 7))) for i in range(3)] for t in range(3)]
    results, errors = _race(project, user, batches)
    assert errors == []
    indices = sorted(Image.objects.filter(project=project).values_list("frame_index", flat=True))
    assert indices == list(range(9))
    for result in results:  # each upload's frames stay together, in input order
        own = [image.frame_index for image in result.images]
        assert own == list(range(own[0], own[0] + 3))
