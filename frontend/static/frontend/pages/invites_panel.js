// Invites, inside the members panel (managers): make a single-use link for a role (an e-mail
// address only labels it), copy it, and see or revoke the project's invites. The server keeps a
// hash of the token, so a link is shown once, right after it is made.
import { pageHttp } from "../lib/http.js";
import { h, clear, withBusy } from "../lib/dom.js";
import { ROLES, suggestedInviteRole } from "../lib/constants.js";
import { fieldErrors } from "./form_errors.js";

const STATE_TEXT = { active: "waiting", used: "used", revoked: "revoked", expired: "expired" };

function inviteRow(invite, revoke) {
  const who = invite.email || "anyone with the link";
  const detail =
    invite.state === "used" ? `used by ${invite.used_by || "a deleted account"}` :
    invite.state === "active" ? `until ${new Date(invite.expires_at).toLocaleDateString()}` : STATE_TEXT[invite.state];
  return h(
    "li",
    { class: "member-row invite-row", dataset: { inviteId: invite.id, state: invite.state } },
    h("span", { class: "member-name", title: who }, who),
    h("span", { class: "badge" }, invite.role),
    h("span", { class: "muted" }, detail),
    invite.state === "active"
      ? h("button", { type: "button", class: "btn btn-quiet", "aria-label": `Revoke the invite for ${who}`, onclick: () => revoke(invite) }, "Revoke")
      : null,
  );
}

/** The invite part of the members panel: returns its elements and `load()`. */
export function invitesSection(projectId) {
  const email = h("input", { type: "email", name: "email", "aria-label": "E-mail (optional)", placeholder: "E-mail (optional)", autocomplete: "off" });
  const role = h("select", { name: "role", "aria-label": "Invite as" }, ROLES.map((r) => h("option", { value: r }, r)));
  const button = h("button", { type: "submit", class: "btn btn-primary" }, "Create invite link");
  const form = h("form", { class: "form-row", "data-testid": "invite-form" }, email, role, button);
  const link = h("input", { type: "text", readonly: true, "aria-label": "Invite link", "data-testid": "invite-link" });
  const copy = h("button", { type: "button", class: "btn" }, "Copy");
  const copied = h("span", { class: "muted", "data-testid": "invite-copied", hidden: true }, "Copied to the clipboard.");
  const created = h(
    "div",
    { class: "form-row invite-created", hidden: true },
    link,
    copy,
    h("p", { class: "muted" }, copied, " Send this link; it is shown only now and works once."),
  );
  const error = h("p", { class: "error-text", role: "alert", "aria-live": "assertive" });
  const list = h("ul", { class: "plain-list", "data-role": "invites" });
  const section = h("div", { class: "invites", "data-testid": "invites" }, h("h3", {}, "Invite someone new"), form, created, error, list);

  async function load() {
    try {
      const invites = await pageHttp.getAll(`/api/projects/${projectId}/invites/?page_size=100`);
      clear(list).append(...invites.filter((i) => i.state !== "revoked").map((i) => inviteRow(i, revoke)));
    } catch (e) {
      error.textContent = `Could not load the invites: ${e.message}`;
    }
  }
  async function revoke(invite) {
    error.textContent = "";
    try {
      await pageHttp.sendJSON("DELETE", `/api/projects/${projectId}/invites/${invite.id}/`);
    } catch (e) {
      error.textContent = fieldErrors(e);
    }
    load();
  }
  async function copyLink() {
    link.select();
    try {
      await navigator.clipboard.writeText(link.value);
      copied.hidden = false;
      return true;
    } catch {
      copy.textContent = "Press Ctrl+C"; // the text is selected; the clipboard API needs a secure page
      return false;
    }
  }
  copy.addEventListener("click", copyLink);
  // Until the manager picks a role, suggest the one the project lacks (see suggestRole).
  role.addEventListener("change", () => (role.dataset.chosen = "1"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.textContent = "";
    withBusy(button, async () => {
      try {
        const invite = await pageHttp.sendJSON("POST", `/api/projects/${projectId}/invites/`, { role: role.value, email: email.value.trim() });
        link.value = invite.url;
        copy.textContent = "Copy";
        copied.hidden = true;
        created.hidden = false;
        email.value = "";
        await copyLink(); // the link is what the manager wants next: on the clipboard without another click
        await load();
      } catch (e) {
        error.textContent = fieldErrors(e);
      }
    });
  });
  function suggestRole(members, me) {
    if (!role.dataset.chosen) role.value = suggestedInviteRole(members, me);
  }
  load();
  return { section, load, suggestRole };
}
