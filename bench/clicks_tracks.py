"""Clicks, keystrokes and seconds to box every frame of a clip: by hand, with interpolation, with the tracker.

    python bench/clicks_tracks.py [--database-url postgres://…/h_clicks_tracks] [--port 8132] [--every 10]

A synthetic clip of 100 frames (640×480) with 5 objects moving on known smooth paths (one per
horizontal band, so they never cross) is made in a fresh database, one sequence, one label. A
Daphne serves it and headless Chromium annotates all 100 frames twice, in two projects:

1. by hand — on every frame, draw the 5 boxes (one drag each), then `.` to the next frame;
2. with tracks — on frame 0 draw the 5 boxes and press F (copy forward: 5 tracks, copied to
   frame 1); then every `--every` frames (and the last one) click that frame on the timeline strip
   and drag each track's ghost onto its object: each drag places a keyframe and the server
   interpolates the frames between;
3. with tracking — the same start, then on frame 1 type the frames to track (98) once, and for
   each object click its box and press T: the worker's tracker (INFERENCE_TRACKER) propagates it to
   the last frame (one after the other: one propagation per start frame at a time).

Counting as bench/clicks_first_approval.py does: every `mousedown` and `keydown` the pages receive
(capture-phase listeners). The time is the scripted run's wall time from opening the first frame to
the last box saved (a machine's speed, not a person's: it says how long the page makes you wait).
Quality: the mean IoU of the 500 boxes with the known paths (drawing is exact here; interpolated
boxes miss the curves a little) and how many boxes were interpolated or tracked.

Measured (2 cores shared, load average 8-17 during the run, DJANGO_DEBUG=1, CSRT tracker):
by hand 500 clicks + 99 keys = 599 actions, 318 s, IoU 1.000; with tracks 67 actions, 62 s,
IoU 0.896 (440 of 500 boxes interpolated); with tracking 22 actions, 54 s, IoU 0.837 (490 tracked).
"""

import argparse
import io
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_boxes import daphne_start, database_ensure, django_setup  # noqa: E402  (bench/ is not a package)
from clicks_first_approval import Tally, actions, context_for, load_note, until  # noqa: E402

FRAMES, OBJECTS, WIDTH, HEIGHT = 100, 5, 640, 480
METHODS = ("by hand", "with tracks", "with tracking")
BOX_W, BOX_H = 70, 50
USER, PASSWORD = "ann", "clip-annotator-2026"


def truth(obj: int, t: int) -> tuple[float, float, float, float]:
    """Object `obj`'s box on frame `t`: eased left-to-right sweeps at different speeds, a gentle bob."""
    cx = 80 + 480 * (0.5 - 0.5 * math.cos(math.pi * t / (FRAMES - 1) * (1 + 0.25 * obj)))
    cy = 60 + 90 * obj + 14 * math.sin(2 * math.pi * t / 60 + obj)
    return (round(cx - BOX_W / 2), round(cy - BOX_H / 2), round(cx + BOX_W / 2), round(cy + BOX_H / 2))


def frame_png(t: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), (40, 52, 66))
    draw = ImageDraw.Draw(image)
    for x in range(0, WIDTH, 32):
        draw.line([(x, 0), (x, HEIGHT)], fill=(52, 64, 80))
    colors = [(230, 90, 70), (90, 200, 120), (80, 140, 240), (240, 200, 60), (200, 110, 220)]
    for obj in range(OBJECTS):
        x0, y0, x1, y1 = truth(obj, t)
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=colors[obj])
        draw.rectangle([x0 + 10, y0 + 10, x0 + 30, y0 + 25], fill=(20, 20, 20))  # texture for a tracker
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def clip_create() -> dict:
    """Two projects with the same 100-frame sequence (one per method); returns their first frames' ids."""
    import hashlib

    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from annotations.models import Image, Label, Membership, Project, Role, Sequence

    user = get_user_model().objects.create_user(USER, password=PASSWORD)
    pngs = [frame_png(t) for t in range(FRAMES)]
    first = {}
    for method in METHODS:
        project = Project.objects.create(name=f"Clip {method}", created_by=user)
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
        Label.objects.create(project=project, name="object", color="#2ca02c")
        sequence = Sequence.objects.create(project=project, name="clip")
        images = [
            Image(project=project, sequence=sequence, frame_index=t, width=WIDTH, height=HEIGHT, format="PNG",
                  sha256=hashlib.sha256(png).hexdigest(), original_name=f"clip-{t:03d}.png",
                  file=ContentFile(png, name=f"clip-{t:03d}.png"))
            for t, png in enumerate(pngs)
        ]  # fmt: skip
        for image in images:
            image.save()
        first[method] = images[0].pk
    return first


def to_page(page, x, y):
    return page.evaluate(
        """([x, y]) => { const v = window.hitlAnnotate.view(), r = document.getElementById('canvas').getBoundingClientRect();
            return [r.left + x * v.scale + v.tx, r.top + y * v.scale + v.ty]; }""",
        [x, y],
    )


def drag(page, start, end):
    page.mouse.move(*to_page(page, *start))
    page.mouse.down()
    page.mouse.move(*to_page(page, *end), steps=4)
    page.mouse.up()


def ready(page):
    """The frame is loaded and its layout settled: the toolbar's texts fill in after start-up and
    may unwrap it, which moves the canvas (a person aims after that; a script must wait)."""
    page.wait_for_selector('#annotate[data-ready="true"]')
    settled = """() => new Promise((done) => {
        const rect = () => JSON.stringify(document.getElementById('canvas').getBoundingClientRect());
        const before = rect();
        requestAnimationFrame(() => requestAnimationFrame(() => done(rect() === before)));
    })"""
    while not page.evaluate(settled):
        pass


def saved(page, boxes: int):
    try:
        until(lambda: page.evaluate(
            "(n) => window.hitlAnnotate.saves.unsaved() === 0 && window.hitlAnnotate.store.count() === n", boxes),
            timeout=120)  # fmt: skip
    except TimeoutError:
        state = page.evaluate("""() => ({url: location.pathname, unsaved: window.hitlAnnotate.saves.unsaved(),
            boxes: window.hitlAnnotate.store.list().map((b) => [b.id, b.track, b.save, b.x_min, b.y_min, b.x_max, b.y_max])})""")
        raise SystemExit(f"Expected {boxes} saved boxes; the page has {state}")


def centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def by_hand(page, first_id: int, every: int) -> None:
    page.goto(f"/images/{first_id}/")
    ready(page)
    for t in range(FRAMES):
        for obj in range(OBJECTS):
            x0, y0, x1, y1 = truth(obj, t)
            drag(page, (x0, y0), (x1, y1))
        saved(page, OBJECTS)
        if t < FRAMES - 1:
            url = page.url
            page.keyboard.press(".")
            page.wait_for_url(lambda now, url=url: now != url)
            ready(page)


def tracks_start(page, first_id: int) -> None:
    """Draw the 5 boxes on frame 0 and copy them forward (5 tracks); the page is then on frame 1."""
    page.goto(f"/images/{first_id}/")
    ready(page)
    for obj in range(OBJECTS):
        x0, y0, x1, y1 = truth(obj, 0)
        drag(page, (x0, y0), (x1, y1))
    saved(page, OBJECTS)
    page.keyboard.press("Escape")  # nothing selected: F copies every box
    page.keyboard.press("f")
    page.wait_for_url(lambda now: not now.endswith(f"/images/{first_id}/"))
    ready(page)


def with_tracks(page, first_id: int, every: int) -> None:
    tracks_start(page, first_id)
    keys = [*range(every, FRAMES - 1, every), FRAMES - 1]
    previous = 0  # where the ghosts come from: the last keyframes placed (frame 1's copies are frame 0's boxes)
    for t in keys:
        cell = page.locator(f".timeline-cell[data-frame='{t}']")
        cell.wait_for()
        cell.click()
        page.wait_for_url(f"**/images/{cell.get_attribute('data-image')}/")
        ready(page)
        until(lambda: page.evaluate("() => document.getElementById('canvas').dataset.ghosts") == str(OBJECTS))
        for obj in range(OBJECTS):
            drag(page, centre(truth(obj, previous)), centre(truth(obj, t)))
        saved(page, OBJECTS)
        previous = t


def with_tracking(page, first_id: int, every: int) -> None:
    tracks_start(page, first_id)
    page.click("#track-frames")
    page.keyboard.press("Control+a")
    page.keyboard.type(str(FRAMES - 2))
    panel = page.locator(".track-forward")
    for obj in range(OBJECTS):
        page.mouse.click(*to_page(page, *centre(truth(obj, 0))))  # its box on frame 1 (a copy of frame 0's)
        before = panel.get_attribute("data-job")
        page.keyboard.press("t")
        until(lambda before=before: panel.get_attribute("data-job") not in (None, before), timeout=60)
        until(lambda: panel.get_attribute("data-state") != "running", timeout=600)


def quality(first_id: int) -> tuple[float, int, int]:
    """(mean IoU with the known paths over every frame and object, boxes, boxes interpolated or tracked)."""
    from annotations.models import Box, Image

    sequence = Image.objects.get(pk=first_id).sequence_id
    boxes = Box.objects.filter(image__sequence_id=sequence, deleted=False).values_list(
        "image__frame_index", "x_min", "y_min", "x_max", "y_max", "source")
    by_frame = {}
    for t, *rect, source in boxes:
        by_frame.setdefault(t, []).append((rect, source))
    total = 0.0
    for t in range(FRAMES):
        found = by_frame.get(t, [])
        for obj in range(OBJECTS):
            total += max((iou(rect, truth(obj, t)) for rect, _ in found), default=0.0)
    interpolated = sum(1 for _, _, _, _, _, source in boxes if source in ("interpolated", "tracked"))
    return total / (FRAMES * OBJECTS), len(boxes), interpolated


def iou(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/h_clicks_tracks")
    parser.add_argument("--redis-url", default="", help="Daphne's channel layer and cache; '' for in-memory")
    parser.add_argument("--port", type=int, default=8132)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--conn-max-age", default="60")
    parser.add_argument("--pool-size", default="0")
    parser.add_argument("--every", type=int, default=10, help="keyframe interval of the tracks run")
    parser.add_argument("--only", choices=METHODS, help="run one method")
    # Plain HTTP on loopback, as `make run` serves: at DEBUG=0 the session and CSRF cookies are Secure and
    # a browser on http:// never stays logged in.
    parser.add_argument("--no-debug", dest="debug", action="store_false", help="DJANGO_DEBUG=0 (needs HTTPS)")
    parser.add_argument("--headed", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    media = tempfile.mkdtemp(prefix="clicks-tracks-")
    database_ensure(args.database_url, fresh=True)
    django_setup(args.database_url, media)
    call_command("migrate", verbosity=0)
    first = clip_create()
    daphne = daphne_start(args, media, args.port)
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, headless=not args.headed, args=["--no-sandbox", "--disable-gpu"]
            )
            for method, run in zip(METHODS, (by_hand, with_tracks, with_tracking)):
                if args.only and method != args.only:
                    continue
                tally = Tally()
                tally.begin(method)
                context = context_for(browser, f"http://127.0.0.1:{args.port}", tally)
                page = context.new_page()
                page.set_default_timeout(60_000)  # a loaded machine (the figure notes the load) is slow, not wrong
                page.goto("/accounts/login/")
                page.fill("#id_username", USER)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/")
                tally.counts[method].clear()  # logging in is not annotating
                started = time.monotonic()
                run(page, first[method], args.every)
                results[method] = (tally.counts[method], time.monotonic() - started)
                context.close()
            browser.close()
    finally:
        daphne.terminate()
        try:
            daphne.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daphne.kill()

    results = {method: (*measured, quality(first[method])) for method, measured in results.items()}  # the ORM, off Playwright's loop
    print(f"Boxing a {FRAMES}-frame clip of {OBJECTS} moving objects ({load_note()}); keyframes every {args.every} frames")
    print(f"{'method':<14} {'clicks':>6} {'keys':>5} {'actions':>8} {'seconds':>8} {'boxes':>6} {'filled in':>10} {'mean IoU':>9}")
    for method, (c, seconds, (mean_iou, boxes, interpolated)) in results.items():
        print(f"{method:<14} {c['click']:>6} {c['key']:>5} {actions(c):>8} {seconds:>8.1f} {boxes:>6} {interpolated:>10} {mean_iou:>9.3f}")
    if "by hand" in results:
        hand, hand_s, _ = results["by hand"]
        for method, (c, seconds, _) in results.items():
            if method != "by hand":
                print(f"{method}: {actions(hand) / max(1, actions(c)):.1f}× fewer actions, {hand_s / max(seconds, 1e-9):.1f}× less time")
    print("An action is a click or a key (a drag is one click); filled in: boxes interpolated or tracked, not drawn")


if __name__ == "__main__":
    main()
