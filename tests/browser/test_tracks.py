"""Tracks on the annotate page, in Chromium against a live Daphne: draw on the first frame, copy it
forward, place the track's box on the fifth frame by dragging its ghost, and the frames between
are interpolated — on the server, on the timeline strip, on the canvas, and live on another
annotator's screen."""

import re
import time

import pytest

from annotations.models import Box, Sequence
from tests.browser.canvas import to_page
from tests.browser.test_annotate_page import drag, frame_png, open_frame, wait_ready, wait_saved
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def clip(live_url):
    """A sequence of six 640x480 frames (frame_index 0-5), a person label, two annotators."""
    project = ProjectFactory(name="Crossing")
    person = LabelFactory(project=project, name="person", color="#2ca02c")
    sequence = Sequence.objects.create(project=project, name="crossing")
    frames = [
        ImageFactory(project=project, sequence=sequence, width=640, height=480, frame_index=i, content=frame_png(shade=i * 6))
        for i in range(6)
    ]
    annie, bob = UserFactory(username="annie"), UserFactory(username="bob")
    for user in (annie, bob):
        MembershipFactory(project=project, user=user)
    return {"project": project, "person": person, "frames": frames, "annie": annie, "bob": bob}


def wait_for(check, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value
            return value
        time.sleep(0.1)


def live_track_boxes(image):
    return list(Box.objects.filter(image=image, deleted=False, track__isnull=False).values(
        "x_min", "y_min", "x_max", "y_max", "keyframe", "source", "track__number"))


def copy_track(image):
    (track,) = set(Box.objects.filter(image=image, deleted=False).values_list("track_id", flat=True))
    return track


def cell_states(page):
    return page.eval_on_selector_all("[data-testid=timeline-cells] .timeline-cell", "cells => cells.map((c) => c.dataset.state)")


def box_reads(page):
    """The ids in the page's box-list requests: frames (`image`) and tracks (`track`)."""
    found = {"image": [], "track": []}
    for url in page.requested:
        hit = re.search(r"/api/(images|tracks)/(\d+)/boxes/", url)
        if hit:
            found["image" if hit[1] == "images" else "track"].append(int(hit[2]))
    return found


def test_copy_forward_then_a_dragged_ghost_interpolates_the_frames_between(new_page, clip, screenshot, wait_for_js):
    frames = clip["frames"]
    page = new_page(clip["annie"])
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    page = open_frame(page, frames[0].pk)
    page.wait_for_selector("#track-timeline[data-track='']:not([hidden])")  # no track followed yet: the strip waits, empty

    drag(page, (100, 100), (200, 220))
    wait_saved(page)
    page.keyboard.press("f")  # copy forward: the box becomes track #1, copied to frame 1, and the page goes there
    page.wait_for_url(f"**/images/{frames[1].pk}/")
    wait_ready(page)
    [copy] = wait_for(lambda: live_track_boxes(frames[1]))
    assert copy["keyframe"] and copy["track__number"] == 1
    # The copy is selected (the followed track's box), the tag reads "person #1", the strip shows the track.
    wait_for_js(page, "() => window.hitlAnnotate.selected()?.track != null")
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.trackTags === 1")
    page.wait_for_selector("#track-timeline:not([hidden])")
    wait_for_js(page, "() => document.querySelectorAll('.timeline-cell').length === 6")
    assert cell_states(page) == ["keyframe", "keyframe", "none", "none", "none", "none"]

    page.requested.clear()
    page.click(".timeline-cell[data-frame='4']")  # the strip goes to frame 4
    page.wait_for_url(f"**/images/{frames[4].pk}/")
    wait_ready(page)
    wait_for_js(page, "() => document.getElementById('canvas').dataset.ghosts === '1'")  # the track's ghost, where frame 1 had it
    # The strip and the ghosts read the track's boxes in one request, not each frame's box list.
    reads = box_reads(page)
    assert set(reads["track"]) == {copy_track(frames[1])} and set(reads["image"]) <= {frames[4].pk}
    drag(page, (150, 160), (250, 200))  # grab the ghost and move it: +100, +40
    wait_saved(page)
    [placed] = wait_for(lambda: live_track_boxes(frames[4]))
    assert (placed["x_min"], placed["y_min"], placed["x_max"], placed["y_max"]) == (200, 140, 300, 260)
    assert placed["keyframe"] and placed["track__number"] == 1

    # Frames 2 and 3 are interpolated between the keyframes of frames 1 and 4, as real boxes.
    for i, image in ((1, frames[2]), (2, frames[3])):
        [box] = wait_for(lambda image=image: live_track_boxes(image))
        assert not box["keyframe"] and box["source"] == "interpolated"
        assert box["x_min"] == pytest.approx(100 + 100 * i / 3) and box["y_max"] == pytest.approx(220 + 40 * i / 3)
    wait_for_js(page, "() => [...document.querySelectorAll('.timeline-cell')].map((c) => c.dataset.state).join() === 'keyframe,keyframe,interpolated,interpolated,keyframe,none'")

    # On frame 2 the interpolated box is drawn thin and dotted, tagged with its track.
    page.locator(".timeline-cell[data-frame='2']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/images/{frames[2].pk}/")
    wait_ready(page)
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.filledIn === 1 && window.hitlAnnotate.renderer.stats.trackTags === 1")
    wait_for_js(page, "() => document.getElementById('selection-info').textContent.startsWith('person #1 (filled in)')")
    wait_for_js(page, "() => document.querySelectorAll('.timeline-cell').length === 6")
    assert page.locator(".timeline-cell[aria-current=true]").get_attribute("data-state") == "interpolated"
    page.keyboard.press("Escape")  # deselect: the dotted outline shows as it is
    screenshot(page, "tracks-interpolated-frame")
    assert page.js_errors == []


def test_another_annotator_sees_the_interpolated_boxes_arrive_live(new_page, clip, run_off_loop, wait_for_js):
    frames = clip["frames"]
    annie = open_frame(new_page(clip["annie"]), frames[0].pk)
    drag(annie, (100, 100), (200, 220))
    wait_saved(annie)
    annie.keyboard.press("f")
    annie.wait_for_url(f"**/images/{frames[1].pk}/")
    wait_ready(annie)

    bob = open_frame(new_page(clip["bob"]), frames[2].pk)  # nothing there yet
    assert bob.evaluate("() => window.hitlAnnotate.store.count()") == 0
    annie.click(".timeline-cell[data-frame='3']")
    annie.wait_for_url(f"**/images/{frames[3].pk}/")
    wait_ready(annie)
    wait_for_js(annie, "() => document.getElementById('canvas').dataset.ghosts === '1'")
    annie.keyboard.press("k")  # place the ghost where it is: frame 2 is interpolated between 1 and 3
    wait_saved(annie)
    wait_for_js(bob, "() => window.hitlAnnotate.store.list().some((b) => b.track != null && b.keyframe === false)")
    wait_for_js(bob, "() => window.hitlAnnotate.renderer.stats.filledIn === 1")
    assert annie.js_errors == [] and bob.js_errors == []


def test_copy_forward_is_one_undo_step_from_the_frame_it_reached(new_page, clip, wait_for_js):
    frames = clip["frames"]
    page = open_frame(new_page(clip["annie"]), frames[0].pk)
    drag(page, (100, 100), (200, 220))
    drag(page, (300, 100), (400, 220))
    wait_saved(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+F")  # every box: two tracks, two copies
    page.wait_for_url(f"**/images/{frames[1].pk}/")
    wait_ready(page)
    wait_for_js(page, "() => window.hitlAnnotate.store.count() === 2")
    assert len(wait_for(lambda: live_track_boxes(frames[1]))) == 2

    page.keyboard.press("Control+z")  # the whole copy forward, both frames, in one step
    wait_for_js(page, "() => window.hitlAnnotate.store.count() === 0")
    wait_for(lambda: not live_track_boxes(frames[1]) and not live_track_boxes(frames[0]))
    assert Box.objects.filter(image=frames[0], deleted=False).count() == 2  # the originals stay, out of any track
    page.keyboard.press("Control+y")
    wait_for_js(page, "() => window.hitlAnnotate.store.count() === 2 && window.hitlAnnotate.store.list().every((b) => b.track != null)")
    assert page.js_errors == []


def test_end_track_here_stops_the_track_and_later_keyframes_start_a_new_one(new_page, clip, wait_for_js):
    frames = clip["frames"]
    page = open_frame(new_page(clip["annie"]), frames[0].pk)
    drag(page, (100, 100), (200, 220))
    wait_saved(page)
    for i in (1, 2):  # copy forward twice: frames 0-2 are keyframes of track #1
        page.keyboard.press("f")
        page.wait_for_url(f"**/images/{frames[i].pk}/")
        wait_ready(page)
        wait_for_js(page, "() => window.hitlAnnotate.selected()?.track != null")
    page.click(".timeline-cell[data-frame='1']")
    page.wait_for_url(f"**/images/{frames[1].pk}/")
    wait_ready(page)
    wait_for_js(page, "() => window.hitlAnnotate.store.track(window.hitlAnnotate.selected()?.track)")
    page.keyboard.press("e")  # the object left the view after frame 1
    page.wait_for_selector(".toast >> text=ends at this frame")
    [after] = wait_for(lambda: [b for b in live_track_boxes(frames[2]) if b["track__number"] == 2])
    assert after["keyframe"]  # the box drawn later is the object coming back: a track of its own
    assert [b["track__number"] for b in live_track_boxes(frames[1])] == [1]
    wait_for_js(page, "() => [...document.querySelectorAll('.timeline-cell')].map((c) => c.dataset.state).slice(0, 3).join() === 'keyframe,keyframe,none'")

    # Past its end track #1 leaves no ghost: on frame 3 only #2's (from frame 2) is drawn.
    open_frame(page, frames[3].pk)  # (the strip redraws as the end's live events arrive: no click on it)
    wait_for_js(page, "() => document.getElementById('canvas').dataset.ghosts === '1'")
    ended = page.evaluate("() => window.hitlAnnotate.store.tracks().map((t) => [t.number, t.ended_at != null]).sort()")
    assert ended == [[1, True], [2, False]]
    page.keyboard.press("k")  # the followed track (#1) has no ghost to place here
    page.wait_for_selector(".toast >> text=has no ghost here")
    assert page.js_errors == []
