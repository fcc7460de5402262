// The review workflow on the annotate page: Submit for annotators, Approve / Reject with a
// comment for reviewers, and the reviewer's comment shown when a frame comes back rejected.
// annotate.js calls installReview(app, {role, panel}); the status arrives through live.js
// (`live:image.status`), the actions go through REST (app.api).
import { h, clear, withBusy } from "./lib/dom.js";
import { STATUS_LABELS, roleRank } from "./lib/constants.js";

/** A submitted or approved frame opens read-only: it has to be reopened to be changed. */
export function isReadOnly(status) {
  return status === "submitted" || status === "approved";
}

/** The banner over the frame for a status (pure): null when there is nothing to say. */
export function bannerText({ status, reviewedBy, submittedBy, comment, at }) {
  const when = at ? ` on ${at}` : "";
  if (status === "approved") return `Approved${reviewedBy ? ` by ${reviewedBy}` : ""}${when} — read-only; a reviewer or manager can reopen it to edit.`;
  if (status === "submitted") return `Submitted${submittedBy ? ` by ${submittedBy}` : ""}${when} — read-only while it waits for review.`;
  if (status === "rejected") return `Rejected${reviewedBy ? ` by ${reviewedBy}` : ""}${when}: ${comment || "no comment"} — fix it and submit again.`;
  return null;
}

/** Which actions a role may take on a frame in a status (pure; unit-tested). */
export function reviewActions(status, role) {
  const rank = roleRank(role);
  return {
    submit: rank >= roleRank("annotator") && (status === "new" || status === "in_progress" || status === "rejected"),
    approve: rank >= roleRank("reviewer") && status === "submitted",
    reject: rank >= roleRank("reviewer") && (status === "submitted" || status === "approved"),
  };
}

/**
 * @param {import("./contract.js").AnnotateApp} app
 * @param {{role: string|null, panel: HTMLElement}} options  the caller's role in the project, and where to draw
 */
export function installReview(app, { role, panel: host }) {
  const badge = h("span", { class: "badge", "data-testid": "review-status" }, "…");
  const buttons = h("span", { class: "review-panel" });
  const comment = h("div", { class: "review-comment", "data-testid": "review-comment", role: "status", hidden: true });
  const error = h("span", { class: "error-text", role: "alert" });
  const panel = h("div", { class: "review-panel", "data-testid": "review-panel" }, badge, buttons, error, comment);
  host.append(panel);
  const state = { status: null, comment: "", role, reviewedBy: null, submittedBy: null, at: null };
  const banner = document.getElementById("review-banner");
  const bannerLine = h("span", { "data-role": "text" });
  const reopen = h("button", { type: "button", class: "btn", "data-testid": "reopen", onclick: () => openReject("Reopen with a note for the annotator") }, "Reopen to edit…");
  banner?.append(bannerLine, reopen);

  function renderBanner() {
    if (!banner) return;
    const text = bannerText(state);
    banner.hidden = !text;
    banner.dataset.status = state.status || "";
    bannerLine.textContent = text || "";
    reopen.hidden = !(isReadOnly(state.status) && roleRank(state.role) >= roleRank("reviewer"));
  }

  function render() {
    renderBanner();
    badge.className = `badge status-${state.status}`;
    badge.textContent = STATUS_LABELS[state.status] || state.status || "…";
    const rejected = state.status === "rejected" && state.comment;
    comment.hidden = !rejected;
    comment.textContent = rejected ? `${state.reviewedBy ? `${state.reviewedBy} rejected this frame: ` : "Rejected: "}${state.comment}` : "";
    const can = reviewActions(state.status, state.role || "annotator");
    clear(buttons);
    if (can.submit) buttons.append(h("button", { type: "button", class: "btn btn-primary", onclick: (e) => withBusy(e.currentTarget, submit) }, "Submit for review"));
    if (can.approve) buttons.append(h("button", { type: "button", class: "btn btn-approve", onclick: (e) => withBusy(e.currentTarget, () => review("approve", "")) }, "Approve"));
    if (can.reject) buttons.append(h("button", { type: "button", class: "btn btn-reject", onclick: () => openReject() }, "Reject…"));
  }

  function update(message) {
    if (!message || !message.status) return;
    state.status = message.status;
    if ("review_comment" in message) state.comment = message.review_comment || "";
    if (message.reviewed_by) state.reviewedBy = message.reviewed_by.username;
    if (message.submitted_by) state.submittedBy = message.submitted_by.username;
    if (message.status_at) state.at = new Date(message.status_at).toLocaleString();
    render();
    app.emit("review.status", { status: state.status, comment: state.comment });
  }

  async function act(url, body) {
    error.textContent = "";
    const result = await app.api.request("POST", url, { body });
    if (result.ok) update(result.body);
    else error.textContent = (result.body && result.body.detail) || `Failed (${result.status})`;
    return result.ok;
  }

  const submit = () => act(`/api/images/${app.imageId}/submit/`, {});
  const review = (decision, text) => act(`/api/images/${app.imageId}/review/`, { decision, comment: text });

  function openReject(action = "Reject with comment") {
    panel.querySelector("[data-testid=reject-form]")?.remove();
    const text = h("textarea", { name: "comment", "aria-label": "What needs fixing", placeholder: "What needs fixing?", maxlength: 2000, required: true });
    const form = h(
      "form",
      { class: "review-form", "data-testid": "reject-form" },
      text,
      h("span", {}, h("button", { type: "submit", class: "btn btn-reject" }, typeof action === "string" ? action : "Reject with comment"), " ", h("button", { type: "button", class: "btn btn-quiet", onclick: () => form.remove() }, "Cancel")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      if (await withBusy(form.querySelector("button[type=submit]"), () => review("reject", text.value.trim()))) form.remove();
    });
    // Keys typed here must not reach the canvas shortcuts.
    form.addEventListener("keydown", (event) => event.stopPropagation());
    panel.append(form);
    text.focus();
  }

  app.on("live:image.status", update);
  app.on("live:access", ({ role: now }) => {
    state.role = now;
    render();
  });
  render();
  return { update, state };
}
