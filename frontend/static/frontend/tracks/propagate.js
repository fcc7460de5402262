// "Track forward N frames": starts a propagation (POST /api/tracks/{id}/propagate/ → 202 job),
// shows its progress as `live:track.result` events arrive (each frame counted once, whichever
// socket brought it), marks each frame on the timeline as it comes, and ends on `track.done`
// (lost, end of the sequence, cancelled, done, failed with its reason) — or on the job's own
// status when the socket is down (polled). A failure says "Propagation failed: <reason>", whichever
// told it first: `track.done {stopped: "failed", reason}`, the start frame's `detection.failed` of
// this job (all a crashed or timed-out worker's job sends), or the polled job's `error`.
// Cancel asks the server to stop; the frames already tracked stay (undoable).

import { h, withBusy } from "../lib/dom.js";
import { createProgress } from "./model.js";

const POLL_MS = 1500;
const FINISHED = new Set(["done", "failed", "cancelled"]);
export const MAX_FRAMES = 300; // the server's INFERENCE_PROPAGATE_MAX_FRAMES default

/**
 * @param {object} options
 * @param {import("../contract.js").AnnotateApp} options.app
 * @param {ReturnType<import("./api.js").createTrackApi>} options.trackApi
 * @param {(image: number) => void} options.onFrame   a propagated box arrived for `image`
 * @param {() => void} options.onFinished
 */
export function createPropagation({ app, trackApi, onFrame, onFinished }) {
  const frames = h("input", { type: "number", id: "track-frames", min: 1, max: MAX_FRAMES, value: 10, "aria-label": "Frames to track forward" });
  const start = h("button", { type: "button", class: "btn", id: "track-forward", title: "Track the selected box forward (T)" }, "Track forward");
  const cancel = h("button", { type: "button", class: "btn", id: "track-cancel", hidden: true }, "Cancel");
  const bar = h("progress", { id: "track-progress", max: 1, value: 0, hidden: true });
  const status = h("p", { class: "muted track-status", id: "track-status", "aria-live": "polite" });
  const element = h("div", { class: "track-forward" }, h("div", { class: "ai-row" }, start, frames, h("span", { class: "muted" }, "frames"), cancel), bar, status);
  let job = null; // {id, track, total, progress, stopped}
  let timer = null;

  function finish(stopped, reason = null) {
    if (!job || job.stopped) return;
    job.stopped = stopped;
    clearTimeout(timer);
    status.textContent = job.progress.text(stopped, reason);
    if (stopped === "failed") app.notify(status.textContent, "error");
    element.dataset.state = stopped;
    cancel.hidden = true;
    start.disabled = false;
    onFinished();
  }

  async function poll() {
    if (!job || job.stopped) return;
    const r = await app.api.get(`/api/jobs/${encodeURIComponent(job.id)}/`);
    if (r.ok && FINISHED.has(r.body.status)) return finish(r.body.status === "done" ? r.body.timings?.stopped || "done" : r.body.status, r.body.error);
    timer = setTimeout(poll, POLL_MS);
  }

  app.on("live:track.result", (m) => {
    if (!job || Number(m.job) !== Number(job.id) || job.stopped) return;
    const n = job.progress.add(m.image);
    bar.value = n;
    status.textContent = job.progress.text();
    element.dataset.done = String(n);
    onFrame(Number(m.image), m);
  });
  const mine = (m) => job && Number(m.job?.id ?? m.job) === Number(job.id);
  app.on("live:track.done", (m) => mine(m) && finish(m.stopped || "done", m.reason));
  // Only this job's: a detection's failure on the frame is the AI panel's.
  app.on("live:detection.failed", (m) => mine(m) && finish("failed", m.reason || m.job?.error));

  /** Start tracking `track` forward from this frame; resolves once the server has the job. */
  async function run(track) {
    if (job && !job.stopped) return app.notify("A propagation is already running.", "info");
    const n = Number.parseInt(frames.value, 10);
    if (!Number.isFinite(n) || n < 1 || n > MAX_FRAMES) return app.notify(`Track forward 1 to ${MAX_FRAMES} frames.`, "warn");
    start.disabled = true;
    const r = await trackApi.propagate(track, app.imageId, n);
    if (!r.ok) {
      start.disabled = false;
      return app.notify(r.body?.detail || `Tracking could not start (${r.status}).`, r.status === 409 ? "info" : "error");
    }
    job = { id: r.body.id, track, progress: createProgress(n), stopped: null };
    bar.hidden = false;
    bar.max = n;
    bar.value = 0;
    cancel.hidden = false;
    element.dataset.state = "running";
    element.dataset.job = String(job.id);
    element.dataset.done = "0";
    status.textContent = job.progress.text();
    timer = setTimeout(poll, POLL_MS);
  }

  cancel.onclick = () => withBusy(cancel, async () => {
    if (!job || job.stopped) return;
    const r = await trackApi.cancel(job.id);
    if (!r.ok) app.notify(r.body?.detail || `Could not cancel (${r.status}).`, "error");
  });

  return { element, run, button: start, running: () => Boolean(job && !job.stopped) };
}
