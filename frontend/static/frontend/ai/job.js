// The running detection job in the AI panel: one row per prompt with a spinner until that
// prompt's `live:detection.result` arrives, then "N found"; done or failed from the socket,
// or from polling GET /api/jobs/{id}/ when the socket is down. A job started by someone
// else (or in another tab) is shown too.

import { h, clear } from "../lib/dom.js";

const POLL_MS = 1000;
const finished = (status) => status === "done" || status === "failed";

/**
 * @param {object} options
 * @param {import("../contract.js").AnnotateApp} options.app
 * @param {HTMLElement} options.body           the panel: carries data-job and data-job-status
 * @param {HTMLButtonElement} options.detectButton   disabled while a job runs
 * @param {(predictions: object[]) => void} options.onResult   one prompt's predictions of the shown job
 * @param {() => void} options.onFinished      the job ended (reload what a dropped socket missed)
 */
export function createJobView({ app, body, detectButton, onResult, onFinished }) {
  const list = h("ul", { class: "ai-prompts", id: "ai-progress", "aria-live": "polite" });
  let job = null; // {id, prompts, status}
  let pollTimer = null;
  const here = (m) => Number(m.image) === Number(app.imageId);

  function show(started) {
    job = { id: started.id, prompts: started.prompts, status: started.status };
    clear(list);
    for (const prompt of started.prompts) {
      list.append(
        h("li", { "data-prompt": prompt, "data-state": "running" }, h("span", { class: "ai-spinner", "aria-hidden": "true" }),
          h("span", {}, prompt), h("span", { class: "ai-count muted" }, "")),
      );
    }
    detectButton.disabled = true;
    body.dataset.job = String(job.id);
    body.dataset.jobStatus = job.status;
  }

  function finish(status, reason) {
    if (!job) return;
    job.status = status;
    body.dataset.jobStatus = status;
    detectButton.disabled = false;
    clearTimeout(pollTimer);
    for (const li of list.querySelectorAll("li[data-state=running]")) li.dataset.state = status === "done" ? "done" : "failed";
    if (status === "failed") app.notify(`Detection failed: ${reason || "unknown reason"}`, "error");
    onFinished();
  }

  async function poll() {
    if (!job || finished(job.status)) return;
    const r = await app.api.get(`/api/jobs/${encodeURIComponent(job.id)}/`);
    if (r.ok && finished(r.body.status)) return finish(r.body.status, r.body.error);
    pollTimer = setTimeout(poll, POLL_MS);
  }

  app.on("live:detection.started", (m) => {
    if (m.job?.kind === "propagate") return; // a tracker's job: the Tracks panel shows it (tracks/propagate.js)
    if (here(m) && (!job || job.id !== m.job.id)) show(m.job); // started by someone else, or from another tab
  });
  app.on("live:detection.result", (m) => {
    if (!here(m) || (job && m.job !== job.id)) return;
    const li = list.querySelector(`li[data-prompt="${CSS.escape(m.prompt)}"]`);
    if (li) {
      li.dataset.state = "done";
      li.querySelector(".ai-count").textContent = `${m.predictions.length} found`;
    }
    onResult(m.predictions);
  });
  app.on("live:detection.done", (m) => here(m) && job?.id === m.job.id && finish("done"));
  app.on("live:detection.failed", (m) => here(m) && job?.id === m.job.id && finish("failed", m.reason));

  return {
    list,
    /** Show a job this page just started (POST /detect/ answered 202) and poll it. */
    start(started) {
      show(started);
      pollTimer = setTimeout(poll, POLL_MS);
    },
  };
}
