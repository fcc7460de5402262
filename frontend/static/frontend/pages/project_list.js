// The project list: every project of the user with its progress, all from the REST API
// (each project row carries its `status_counts`).
import { pageHttp } from "../lib/http.js";
import { h, clear } from "../lib/dom.js";
import { STATUSES, STATUS_LABELS } from "../lib/constants.js";
import { progressOf } from "./status.js";
import { progressBar } from "./progress.js";
import { newProjectForm } from "./new_project.js";

const list = document.querySelector('[data-role="projects"]');
const statusLine = document.querySelector('[data-role="status"]');

function legend(progress) {
  return h(
    "ul",
    { class: "legend" },
    STATUSES.filter((s) => progress.byStatus[s]).map((s) =>
      h("li", { class: `status-${s}`, dataset: { status: s } }, `${STATUS_LABELS[s]} ${progress.byStatus[s]}`),
    ),
  );
}

function card(project) {
  const progress = progressOf(project.status_counts);
  return h(
    "li",
    { class: "card project-card", dataset: { projectId: project.id, total: progress.total, done: progress.done } },
    h("h2", {}, h("a", { href: `/projects/${project.id}/` }, project.name)),
    project.description ? h("p", { class: "desc" }, project.description) : null,
    project.role ? h("span", {}, h("span", { class: "badge role-badge" }, project.role)) : null,
    h("div", { class: "progress-slot" }, progressBar(progress), legend(progress)),
    h(
      "div",
      { class: "meta" },
      h("span", { "data-role": "progress-text" }, progress.total ? `${progress.done} / ${progress.total} frames done (${progress.percent}%)` : "No frames yet"),
    ),
  );
}

const head = document.getElementById("projects-head");
const canCreate = head?.dataset.canCreate === "true";
if (canCreate) {
  const form = newProjectForm();
  const toggle = h("button", { type: "button", class: "btn btn-primary", "aria-expanded": "false", "data-testid": "new-project", onclick: () => {
    form.hidden = !form.hidden;
    toggle.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) form.querySelector("input")?.focus();
  } }, "New project");
  head.append(toggle);
  head.after(form);
}

async function main() {
  try {
    const projects = await pageHttp.getAll("/api/projects/?page_size=500");
    clear(list);
    if (!projects.length) {
      statusLine.textContent = canCreate
        ? "No projects yet: start one with “New project”."
        : "You are not a member of any project yet. Ask a manager to add you.";
      return;
    }
    statusLine.textContent = `${projects.length} project${projects.length === 1 ? "" : "s"}`;
    for (const project of projects) list.append(card(project));
  } catch (error) {
    statusLine.textContent = `Could not load projects: ${error.message}`;
    statusLine.classList.add("error-text");
  }
}

if (list) main();
