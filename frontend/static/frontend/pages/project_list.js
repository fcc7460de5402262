// The project list: every project of the user with its progress, all from the REST API.
import { getAll, getJSON } from "./http.js";
import { h, clear } from "./dom.js";
import { STATUSES, STATUS_LABELS, progressOf } from "./status.js";
import { progressBar } from "./progress.js";

const list = document.querySelector('[data-role="projects"]');
const statusLine = document.querySelector('[data-role="status"]');

/** Counts per status: from the project row when the API provides them, else one count query per status. */
export async function statusCounts(project) {
  const given = project.status_counts || project.counts || (project.progress && project.progress.by_status);
  if (given && typeof given === "object") return given;
  const pairs = await Promise.all(
    STATUSES.map(async (status) => {
      const data = await getJSON(`/api/projects/${project.id}/images/?status=${status}&page_size=1`);
      return [status, Array.isArray(data) ? data.length : data.count];
    }),
  );
  return Object.fromEntries(pairs);
}

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
  const meta = h("div", { class: "meta" }, h("span", { "data-role": "progress-text" }, "…"));
  const body = h("div", { class: "progress-slot" });
  const li = h(
    "li",
    { class: "card project-card", dataset: { projectId: project.id } },
    h("h2", {}, h("a", { href: `/projects/${project.id}/` }, project.name)),
    project.description ? h("p", { class: "desc" }, project.description) : null,
    project.role ? h("span", {}, h("span", { class: "badge role-badge" }, project.role)) : null,
    body,
    meta,
  );
  statusCounts(project)
    .then((counts) => {
      const progress = progressOf(counts);
      body.append(progressBar(progress), legend(progress));
      meta.firstChild.textContent = progress.total
        ? `${progress.done} / ${progress.total} frames done (${progress.percent}%)`
        : "No frames yet";
      li.dataset.total = progress.total;
      li.dataset.done = progress.done;
    })
    .catch(() => {
      meta.firstChild.textContent = "Progress unavailable";
    });
  return li;
}

async function main() {
  try {
    const projects = await getAll("/api/projects/?page_size=500");
    clear(list);
    if (!projects.length) {
      statusLine.textContent = "You are not a member of any project yet. Ask a manager to add you.";
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
