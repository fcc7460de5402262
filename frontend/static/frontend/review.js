// The review workflow on the annotate page: Submit for annotators, Approve / Reject with a
// comment for reviewers, and the reviewer's comment shown when a frame comes back rejected.
// installLive(app) calls installReview(app, {bar}); the status arrives through live.js
// (`live:image.status` on app's event bus), the actions go through REST.
import { h, clear } from "./pages/dom.js";

const RANK = { annotator: 1, reviewer: 2, manager: 3 };
const LABELS = { new: "New", in_progress: "In progress", submitted: "Submitted", approved: "Approved", rejected: "Rejected" };

/** Which actions a role may take on a frame in a status (pure; unit-tested). */
export function reviewActions(status, role) {
  const rank = RANK[role] || 0;
  return {
    submit: rank >= 1 && (status === "new" || status === "in_progress" || status === "rejected"),
    approve: rank >= 2 && status === "submitted",
    reject: rank >= 2 && (status === "submitted" || status === "approved"),
  };
}

async function send(app, url, body) {
  if (app.api && app.api.request) return app.api.request("POST", url, { body });
  const token = document.querySelector('meta[name="csrf-token"]')?.content || "";
  try {
    const r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    });
    return { ok: r.ok, status: r.status, body: await r.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, body: { detail: "The network is unreachable." } };
  }
}

async function findRole(app) {
  if (app.role) return app.role;
  const fromPage = document.querySelector("[data-project-role]")?.dataset.projectRole;
  if (fromPage) return fromPage;
  try {
    const r = await fetch(`/api/projects/${app.projectId}/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const project = r.ok ? await r.json() : {};
    return project.role || project.my_role || null;
  } catch {
    return null;
  }
}

export function installReview(app, { bar } = {}) {
  const host = document.querySelector("[data-review-panel]") || bar;
  const badge = h("span", { class: "badge", "data-testid": "review-status" }, "…");
  const buttons = h("span", { class: "review-panel" });
  const comment = h("div", { class: "review-comment", "data-testid": "review-comment", role: "status", hidden: true });
  const error = h("span", { class: "error-text", role: "alert" });
  const panel = h("div", { class: "review-panel", "data-testid": "review-panel" }, badge, buttons, error, comment);
  host.append(panel);
  const state = { status: null, comment: "", role: null, reviewedBy: null };

  function render() {
    badge.className = `badge status-${state.status}`;
    badge.textContent = LABELS[state.status] || state.status || "…";
    const rejected = state.status === "rejected" && state.comment;
    comment.hidden = !rejected;
    comment.textContent = rejected ? `${state.reviewedBy ? `${state.reviewedBy} rejected this frame: ` : "Rejected: "}${state.comment}` : "";
    const can = reviewActions(state.status, state.role || "annotator");
    clear(buttons);
    if (can.submit) buttons.append(h("button", { type: "button", class: "btn btn-primary", onclick: submit }, "Submit for review"));
    if (can.approve) buttons.append(h("button", { type: "button", class: "btn btn-approve", onclick: () => review("approve", "") }, "Approve"));
    if (can.reject) buttons.append(h("button", { type: "button", class: "btn btn-reject", onclick: openReject }, "Reject…"));
  }

  function update(message) {
    if (!message || !message.status) return;
    state.status = message.status;
    if ("review_comment" in message) state.comment = message.review_comment || "";
    if (message.reviewed_by) state.reviewedBy = message.reviewed_by.username;
    render();
    if (app.emit) app.emit("review.status", { status: state.status, comment: state.comment });
  }

  async function act(url, body) {
    error.textContent = "";
    const result = await send(app, url, body);
    if (result.ok) update(result.body);
    else error.textContent = (result.body && result.body.detail) || `Failed (${result.status})`;
    return result.ok;
  }

  const submit = () => act(`/api/images/${app.imageId}/submit/`, {});
  const review = (decision, text) => act(`/api/images/${app.imageId}/review/`, { decision, comment: text });

  function openReject() {
    const text = h("textarea", { name: "comment", "aria-label": "What needs fixing", placeholder: "What needs fixing?", maxlength: 2000, required: true });
    const form = h(
      "form",
      { class: "review-form", "data-testid": "reject-form" },
      text,
      h("span", {}, h("button", { type: "submit", class: "btn btn-reject" }, "Reject with comment"), " ", h("button", { type: "button", class: "btn btn-quiet", onclick: () => form.remove() }, "Cancel")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      if (await review("reject", text.value.trim())) form.remove();
    });
    // Keys typed here must not reach the canvas shortcuts.
    form.addEventListener("keydown", (event) => event.stopPropagation());
    panel.append(form);
    text.focus();
  }

  if (app.on) app.on("live:image.status", update);
  findRole(app).then((role) => {
    state.role = role;
    render();
  });
  return { update, state };
}
