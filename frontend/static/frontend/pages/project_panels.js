// Side panels of the project page: the review queue (reviewers), labels (labels_panel.js),
// members (managers add, invite and remove), datasets (datasets_panel.js). Every name, label and comment is rendered as text.
import { pageHttp } from "../lib/http.js";
import { h, clear } from "../lib/dom.js";
import { ROLES, plural, roleRank } from "../lib/constants.js";
import { labelsPanel } from "./labels_panel.js";
import { datasetsPanel } from "./datasets_panel.js";
import { fieldErrors } from "./form_errors.js";
import { invitesSection } from "./invites_panel.js";

function panel(title, testid, ...children) {
  return h("section", { class: "card panel", "data-testid": testid }, h("h2", {}, title), ...children);
}

function errorLine() {
  return h("p", { class: "error-text", role: "alert", "aria-live": "assertive" });
}

function reviewQueue(projectId) {
  const list = h("ul", { class: "plain-list queue-list", "data-role": "queue" });
  const note = h("p", { class: "muted" }, "Loading…");
  const section = panel("Review queue", "review-queue", note, list);
  async function load() {
    try {
      const items = await pageHttp.getAll(`/api/projects/${projectId}/review-queue/?page_size=200`);
      clear(list);
      note.textContent = items.length ? `${plural(items.length, "frame")} waiting for review` : "Nothing waits for review.";
      for (const item of items) {
        const by = item.submitted_by ? ` by ${item.submitted_by.username}` : "";
        list.append(
          h(
            "li",
            { dataset: { imageId: item.id } },
            h("a", { href: `/images/${item.id}/` }, `Frame #${item.frame_index}`),
            h("span", { class: "muted" }, `${item.box_count == null ? "? boxes" : plural(item.box_count, "box")}${by}`),
          ),
        );
      }
    } catch (error) {
      note.textContent = `Could not load the queue: ${error.message}`;
    }
  }
  load();
  return { section, reload: load };
}

function membersPanel(projectId, me) {
  const list = h("ul", { class: "plain-list", "data-role": "members" });
  const error = errorLine();
  error.dataset.testid = "member-error";
  const username = h("input", { type: "text", name: "username", required: true, "aria-label": "Username or e-mail", placeholder: "Exact username or e-mail", autocomplete: "off" });
  const role = h("select", { name: "role", "aria-label": "Role" }, ROLES.map((r) => h("option", { value: r }, r)));
  const form = h("form", { class: "form-row", "data-testid": "member-form" }, username, role, h("button", { type: "submit", class: "btn btn-primary" }, "Add member"));
  const invites = invitesSection(projectId);
  const section = panel("Members", "members-panel", list, h("h3", {}, "Add an existing account"), form, error, invites.section);

  async function load() {
    try {
      const members = await pageHttp.getAll(`/api/projects/${projectId}/members/?page_size=1000`);
      invites.suggestRole(members, me);
      clear(list);
      for (const m of members) {
        const user = { id: m.user, username: m.username };
        const self = user.id === me;
        const roleControl = self
          ? h("span", { class: "badge role-badge", title: "Your own role is changed by another manager" }, m.role)
          : h("select", { class: "role-select", "aria-label": `Role of ${user.username}`, onchange: (e) => changeRole(user, e.target) },
              ROLES.map((r) => h("option", { value: r, selected: r === m.role }, r)));
        const remove = self ? null : h("button", { type: "button", class: "btn btn-quiet", "aria-label": `Remove ${user.username}`, onclick: () => removeMember(user) }, "Remove");
        list.append(h("li", { class: "member-row", dataset: { userId: user.id, role: m.role } }, h("span", { class: "member-name", title: user.username }, user.username), roleControl, remove));
      }
    } catch (e) {
      error.textContent = `Could not load members: ${e.message}`;
    }
  }
  async function changeRole(user, select) {
    error.textContent = "";
    select.disabled = true;
    try {
      await pageHttp.sendJSON("PATCH", `/api/projects/${projectId}/members/${user.id}/`, { role: select.value });
      select.closest("li").dataset.role = select.value;
    } catch (e) {
      error.textContent = fieldErrors(e);
      load();
    } finally {
      select.disabled = false;
    }
  }
  async function removeMember(user) {
    error.textContent = "";
    try {
      await pageHttp.sendJSON("DELETE", `/api/projects/${projectId}/members/${user.id}/`);
      load();
    } catch (e) {
      error.textContent = fieldErrors(e);
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await pageHttp.sendJSON("POST", `/api/projects/${projectId}/members/`, { username: username.value.trim(), role: role.value });
      form.reset();
      load();
    } catch (e) {
      error.textContent = fieldErrors(e);
    }
  });
  load();
  return { section, reload: () => (load(), invites.load()) };
}

export function installPanels({ side, projectId, role, me }) {
  const rank = roleRank(role);
  let queue = null;
  if (rank >= roleRank("reviewer")) {
    queue = reviewQueue(projectId);
    side.append(queue.section);
  }
  side.append(labelsPanel(projectId, rank >= roleRank("manager")).section);
  const members = rank >= roleRank("manager") ? membersPanel(projectId, me) : null;
  if (members) side.append(members.section);
  side.append(datasetsPanel(projectId, rank >= roleRank("manager")).section);
  return {
    membersChanged() {
      members?.reload(); // someone joined through an invite, or another manager changed the list
    },
    statusChanged(message) {
      if (queue && (message.status === "submitted" || message.status === "approved" || message.status === "rejected")) queue.reload();
    },
  };
}
