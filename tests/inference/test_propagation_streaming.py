"""Propagated boxes stream to the project's and each frame's websocket in frame order, then `track.done`."""

import pytest
from channels.db import database_sync_to_async

from inference.services.job_control import job_cancel
from inference.services.propagation import propagation_run, propagation_submit
from tests.inference.propagation_helpers import stored_clip, track_on
from tests.live.helpers import clean_presence, connect, next_message  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("clean_presence")]


async def until_done(comm) -> list[dict]:
    """Every track.result and finally the track.done, skipping the project's other chatter."""
    seen = []
    while not seen or seen[-1]["type"] != "track.done":
        message = await next_message(comm, skip=())
        if message["type"] in ("track.result", "track.done"):
            seen.append(message)
    return seen


async def test_results_arrive_in_frame_order_then_done(project, label, annotator, reviewer):
    images, path = await database_sync_to_async(stored_clip)(project, frames=12)
    track = await database_sync_to_async(track_on)(images, path, label=label, user=annotator)
    watching_project, _ = await connect(f"/ws/projects/{project.pk}/", reviewer)
    watching_frame, _ = await connect(f"/ws/images/{images[4].pk}/", reviewer)

    def run():
        job = propagation_submit(track=track, from_image=images[0], frames=11, user=annotator)
        return propagation_run(job_id=job.pk)

    job = await database_sync_to_async(run)()
    messages = await until_done(watching_project)
    results, done = messages[:-1], messages[-1]
    assert [m["image"] for m in results] == [image.pk for image in images[1:]]
    assert [m["frame_index"] for m in results] == list(range(1, 12))
    assert {(m["job"], m["track"], m["box"]["source"], m["box"]["keyframe"]) for m in results} == {
        (job.pk, track.pk, "tracked", False)
    }
    assert all(m["box"]["image"] == m["image"] and m["box"]["track"] == track.pk for m in results)
    assert done == {"type": "track.done", "job": job.pk, "track": track.pk, "image": images[0].pk, "frames": 11,
                    "stopped": "done"}

    frame_messages = []
    while not frame_messages or frame_messages[-1]["type"] != "track.result":
        frame_messages.append(await next_message(watching_frame, skip=("presence", "image.status")))
    assert frame_messages[-1]["image"] == images[4].pk  # the frame's own box, and only its own
    assert [m["type"] for m in frame_messages] == ["box.created", "track.result"]
    await watching_project.disconnect()
    await watching_frame.disconnect()


async def test_a_cancelled_job_says_so_after_its_last_result(project, label, annotator, reviewer, monkeypatch):
    images, path = await database_sync_to_async(stored_clip)(project, frames=12)
    track = await database_sync_to_async(track_on)(images, path, label=label, user=annotator)
    watching, _ = await connect(f"/ws/projects/{project.pk}/", reviewer)
    from inference.models import DetectionJob
    from inference.services import propagation

    real_store, calls = propagation._store, []

    def store_then_cancel(**kwargs):
        written = real_store(**kwargs)
        calls.append(written)
        if len(calls) == 2:
            job_cancel(job=DetectionJob.objects.get(pk=kwargs["job"].pk), user=annotator)
        return written

    monkeypatch.setattr(propagation, "_store", store_then_cancel)

    def run():
        job = propagation_submit(track=track, from_image=images[0], frames=11, user=annotator)
        return propagation_run(job_id=job.pk)

    job = await database_sync_to_async(run)()
    messages = await until_done(watching)
    assert [m["type"] for m in messages] == ["track.result", "track.result", "track.done"]
    assert messages[-1] == {"type": "track.done", "job": job.pk, "track": track.pk, "image": images[0].pk, "frames": 2,
                            "stopped": "cancelled"}
    await watching.disconnect()
