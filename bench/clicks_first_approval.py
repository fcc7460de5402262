"""Clicks and keystrokes from an empty install to the first approved frame, in the real pages.

    python bench/clicks_first_approval.py [--database-url postgres://…/h_clicks_bench] [--port 8131]

The database is dropped and re-created (migrated, then one staff account made the way an operator
does once, `createsuperuser`): nothing else exists, no `seed_demo`. A Daphne serves it and
headless Chromium does what a team lead and their reviewer do, as a person would:

1. the lead logs in, creates a project with one label, uploads one frame (the file dialog);
2. invites a reviewer from the members panel and sends the link (the lead's clipboard → a chat);
3. the reviewer opens the link in their own browser and signs up;
4. the lead opens the frame, draws one box, submits it;
5. the reviewer opens it from their review queue and approves it;
6. (counted apart) the lead goes back to the project and exports the dataset (Datasets panel).

Counting: every `mousedown` and `keydown` the pages receive is counted by a listener installed in
each page (capture phase), so a control that needs two clicks counts two. What happens outside the
page is added by hand and listed: choosing the file in the OS dialog (2 clicks), picking an option
of a `<select>` (1 click after the click that opens it), clicking the link in the chat (1 click).
Typing goes key by key (`press_sequentially`); fields are reached as a person does: autofocus, Tab,
or a click. The time is the scripted run's wall time (a machine's speed, not a person's).

Previous hand counts (issue 12): ≈50 before the browser workflow, ≈32 after it, both with the
reviewer's account made beforehand in Django admin (not counted). The issue asks for an empty
install to an approved frame with no admin: this run includes the invite and the sign-up. Its first
run showed where the invite cost most and three steps were cut: the role is suggested (reviewer
while nobody else can review), the new link goes to the clipboard at once, and the optional e-mail
comes after the passwords on the sign-up form (101 → 97 clicks + keys, 32 → 28 actions).
"""

import argparse
import io
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_boxes import daphne_start, database_ensure, django_setup  # noqa: E402  (bench/ is not a package)

LEAD, LEAD_PASSWORD = "lead", "harbour-lead-2026"
REVIEWER, REVIEWER_PASSWORD = "rita", "tern-gull-heron-7"
PROJECT, LABELS = "Harbour birds", "gull"
BEFORE = (
    "Before: hand counts of issue 12 ≈50 → ≈32 actions (the reviewer's account made in Django admin, not counted); "
    "this run before its cuts (invite role picked by hand, a Copy click, the e-mail field between username and "
    "password): 16 clicks + 85 keys = 101, 32 actions"
)
EXPORT_STEP = "then: export the dataset"
COUNT_SCRIPT = """
addEventListener("mousedown", () => window.hitlCount("click"), true);
addEventListener("keydown", (e) => { if (!e.repeat) window.hitlCount("key"); }, true);
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/h_clicks_bench")
    parser.add_argument("--redis-url", default="", help="Daphne's channel layer and cache; '' for in-memory")
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--conn-max-age", default="60")
    parser.add_argument("--pool-size", default="0")
    parser.add_argument("--headed", action="store_true")
    # Served as `make run` serves it: plain HTTP on loopback needs DEBUG on (at DEBUG=0 the session and
    # CSRF cookies are Secure, so a browser on http:// never stays logged in). api_boxes reads `debug`.
    parser.set_defaults(debug=True)
    return parser.parse_args()


def install(database_url: str, media_root: str) -> None:
    django_setup(database_url, media_root)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_superuser(LEAD, "lead@example.com", LEAD_PASSWORD)


def frame_file(folder: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (150, 190, 220))
    ImageDraw.Draw(image).ellipse((250, 180, 390, 280), fill=(240, 240, 240))
    path = folder / "pier-0001.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


class Tally:
    """Clicks and keystrokes per step: the pages' own events plus what happens outside them."""

    def __init__(self):
        self.step = "start"
        self.counts: dict[str, Counter] = {}
        self.outside: list[str] = []

    def begin(self, step: str) -> None:
        self.step = step
        self.counts.setdefault(step, Counter())

    def count(self, kind: str, n: int = 1) -> None:
        self.counts.setdefault(self.step, Counter())[kind] += n

    def by_hand(self, kind: str, n: int, why: str) -> None:
        self.count(kind, n)
        self.outside.append(f"{self.step}: {n} {kind}{'s' if n != 1 else ''} ({why})")

    def type(self, page, text: str) -> None:
        """Type into the focused field key by key; a field filled in is one entry."""
        page.keyboard.type(text)
        self.count("field")
        self.count("typed", len(text))

    def total(self, kind: str) -> int:
        return sum(c[kind] for c in self.counts.values())


def context_for(browser, base_url: str, tally: Tally):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.expose_binding("hitlCount", lambda source, kind: tally.count(kind))
    context.add_init_script(COUNT_SCRIPT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    return context


def until(probe, timeout: float = 20):
    """Poll `probe` until it returns something truthy (wait_for_function would eval a string; the CSP refuses)."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise TimeoutError("still waiting")
        time.sleep(0.05)
    return value


def choose(page, tally: Tally, select, value: str) -> None:
    """Open a <select> with a click and pick an option (the option's click happens in the popup)."""
    select.click()
    select.select_option(value)
    tally.by_hand("click", 1, f"the option {value!r} in the list")


def run(browser, base_url: str, frame: Path) -> Tally:
    tally = Tally()
    lead_context = context_for(browser, base_url, tally)
    lead = lead_context.new_page()

    tally.begin("log in")
    lead.goto("/accounts/login/")
    tally.type(lead, LEAD)  # the username field has autofocus
    lead.keyboard.press("Tab")
    tally.type(lead, LEAD_PASSWORD)
    lead.keyboard.press("Enter")
    lead.wait_for_url(f"{base_url}/")

    tally.begin("new project + label")
    lead.get_by_role("button", name="New project").click()
    if not lead.evaluate("() => document.activeElement?.id === 'np-name'"):
        lead.locator("#np-name").click()
    tally.type(lead, PROJECT)
    lead.locator("#np-labels").click()
    tally.type(lead, LABELS)
    lead.get_by_role("button", name="Create project").click()
    lead.wait_for_url("**/projects/*/")
    project_url = lead.url

    tally.begin("upload one frame")
    with lead.expect_file_chooser() as chooser:
        lead.get_by_role("button", name="Choose files", exact=True).click()
    chooser.value.set_files(str(frame))
    tally.by_hand("click", 2, "pick the file and press Open in the OS dialog")
    lead.locator("[data-testid=frame]").first.wait_for()

    tally.begin("invite a reviewer")
    form = lead.locator("[data-testid=invite-form]")
    role = form.get_by_label("Invite as")
    if role.input_value() != "reviewer":
        choose(lead, tally, role, "reviewer")
    form.get_by_role("button", name="Create invite link").click()
    link = lead.locator("[data-testid=invite-link]")
    url = until(lambda: link.input_value())
    copied = lead.locator("[data-testid=invite-copied]")
    if not copied.is_visible():
        lead.get_by_role("button", name="Copy").click()
    tally.by_hand("key", 3, "paste the link into a chat to the reviewer: Ctrl+V, Enter (Ctrl counted)")

    tally.begin("reviewer signs up")
    reviewer_context = context_for(browser, base_url, tally)
    reviewer = reviewer_context.new_page()
    tally.by_hand("click", 1, "the reviewer clicks the link in the chat")
    reviewer.goto(url)
    tally.type(reviewer, REVIEWER)  # autofocus
    reviewer.keyboard.press("Tab")
    tally.type(reviewer, REVIEWER_PASSWORD)
    reviewer.keyboard.press("Tab")
    tally.type(reviewer, REVIEWER_PASSWORD)
    reviewer.keyboard.press("Enter")  # the optional e-mail is left empty
    reviewer.wait_for_url("**/projects/*/")

    tally.begin("annotate one frame + submit")
    lead.goto(project_url)  # where the lead already is; a reload is not a click
    lead.locator("[data-testid=frame] a").first.click()
    lead.wait_for_selector('#annotate[data-ready="true"]')
    canvas = lead.locator("#canvas").bounding_box()
    lead.mouse.move(canvas["x"] + 120, canvas["y"] + 100)
    lead.mouse.down()
    lead.mouse.move(canvas["x"] + 260, canvas["y"] + 220, steps=5)
    lead.mouse.up()
    saved = "() => document.getElementById('save-status').dataset.unsaved === '0'"
    until(lambda: lead.evaluate(f"{saved} && window.hitlAnnotate.store.count() === 1"))
    lead.get_by_role("button", name="Submit for review").click()
    lead.locator("[data-testid=review-banner]").get_by_text("Submitted by").wait_for()

    tally.begin("reviewer approves")
    queue = reviewer.locator("[data-testid=review-queue] a").first
    queue.wait_for()  # the queue follows live: the frame appears without a reload
    queue.click()
    reviewer.wait_for_selector('#annotate[data-ready="true"]')
    reviewer.get_by_role("button", name="Approve").click()
    reviewer.locator("[data-testid=review-banner]").get_by_text("Approved by").wait_for()

    tally.approved_at = time.monotonic()
    tally.begin(EXPORT_STEP)  # beyond the first approval: the "approved, exported dataset"
    lead.locator(".topnav a", has_text=PROJECT).click()
    lead.locator("[data-testid=export-form]").get_by_role("button", name="Export").click()
    lead.locator("[data-testid=dataset-version]").first.wait_for(timeout=120_000)

    lead_context.close()
    reviewer_context.close()
    return tally


def main():
    args = parse_args()
    from playwright.sync_api import sync_playwright

    media = tempfile.mkdtemp(prefix="clicks-bench-")
    # The export's DVC repository and MLflow store go to the run's folder, not the checkout's var/.
    os.environ["DVC_REPO_DIR"] = str(Path(media) / "datasets")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{Path(media) / 'mlflow.db'}"
    database_ensure(args.database_url, fresh=True)
    install(args.database_url, media)
    frame = frame_file(Path(media))
    daphne = daphne_start(args, media, args.port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, headless=not args.headed, args=["--no-sandbox", "--disable-gpu"]
            )
            started = time.monotonic()
            tally = run(browser, f"http://127.0.0.1:{args.port}", frame)
            seconds, export_seconds = tally.approved_at - started, time.monotonic() - tally.approved_at
            browser.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
    from annotations.models import Image

    assert Image.objects.filter(status="approved").count() == 1, "the run did not end with an approved frame"
    print(f"Empty install → first approved frame ({load_note()})")
    row = "{:<30} {:>6} {:>6} {:>6} {:>7}"
    print(row.format("step", "clicks", "keys", "fields", "actions"))
    export = tally.counts.pop(EXPORT_STEP)
    for step, c in tally.counts.items():
        print(row.format(step, c["click"], c["key"], c["field"], actions(c)))
    total = sum(tally.counts.values(), Counter())
    print(row.format("total", total["click"], total["key"], total["field"], actions(total)))
    print(row.format(EXPORT_STEP, export["click"], export["key"], export["field"], actions(export)), end="")
    print(f"   ({export_seconds:.1f} s)")
    print(
        f"{total['click'] + total['key']} clicks + keystrokes in {seconds:.1f} s scripted; an action is a click,"
        " a key that is not typing (Tab, Enter, Ctrl+V) or a field typed in, as the hand counts were made"
    )
    print("outside the pages (added by hand): " + "; ".join(tally.outside))
    print(BEFORE)


def actions(counts: Counter) -> int:
    return counts["click"] + counts["key"] - counts["typed"] + counts["field"]


def load_note() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
