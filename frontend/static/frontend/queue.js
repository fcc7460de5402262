// "What should I do next?": N asks the server's queue to reserve the next frame
// (POST /api/projects/{id}/next/) and opens that frame. The server puts unevaluated and never pre-annotated frames first, then
// the ones where the model and people disagree most, and skips frames others are viewing.

/** installQueue(app, nav): adds the N shortcut; `nav.go(id)` leaves the frame (saving first). */
export function installQueue(app, nav) {
  let busy = false;

  async function openNext() {
    if (busy) return;
    busy = true;
    try {
      const result = await app.api.request("POST", `/api/projects/${app.projectId}/next/`);
      if (!result.ok) {
        app.notify(result.body?.detail || "Could not ask for the next frame.", "error");
        return;
      }
      const next = result.body?.image?.id ?? null; // `image` is the frame's detail, or null when done
      if (next == null) {
        app.notify("Nothing left to do in this project.", "info");
        return;
      }
      if (Number(next) === Number(app.imageId)) {
        app.notify("This frame is the next one to work on.", "info");
        return;
      }
      await nav.go(next);
    } finally {
      busy = false;
    }
  }

  app.addShortcut({
    action: "queue-next",
    keys: ["n"],
    help: "Open the next frame to work on (unevaluated first, then most disagreement)",
    group: "Frames",
    run: openNext,
  });
  return { openNext };
}
