// The Labels panel of the project page. Everyone sees the label set; managers rename, recolour,
// change the prompt (saved when the field is left), reorder (↑ ↓), add and delete labels. A
// label that boxes use is not deleted blindly: the panel says how many and offers to move them
// to another label first (DELETE …?move_to=).
import { pageHttp } from "../lib/http.js";
import { h, clear } from "../lib/dom.js";
import { autoColors } from "../lib/colors.js";
import { plural } from "../lib/constants.js";
import { fieldErrors } from "./form_errors.js";

export function labelsPanel(projectId, canEdit) {
  const list = h("ul", { class: "plain-list label-list", "data-role": "labels" });
  const error = h("p", { class: "error-text", role: "alert", "aria-live": "assertive" });
  const section = h("section", { class: "card panel", "data-testid": "labels-panel" }, h("h2", {}, "Labels"), list);
  let labels = [];

  const patch = async (label, changes, input) => {
    error.textContent = "";
    try {
      Object.assign(label, await pageHttp.sendJSON("PATCH", `/api/labels/${label.id}/`, changes));
      if (input) input.dataset.saved = "true";
    } catch (e) {
      error.textContent = fieldErrors(e);
      render();
    }
  };

  async function move(label, delta) {
    const order = labels.map((l) => l.id);
    const i = order.indexOf(label.id);
    const j = i + delta;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j], order[i]];
    try {
      labels = await pageHttp.sendJSON("POST", `/api/projects/${projectId}/labels/order/`, { labels: order });
      render();
      list.querySelector(`li[data-label-id="${label.id}"] [data-move="${delta}"]`)?.focus();
    } catch (e) {
      error.textContent = fieldErrors(e);
    }
  }

  async function remove(label, li, moveTo = null) {
    error.textContent = "";
    const query = moveTo ? `?move_to=${moveTo}` : "";
    const r = await pageHttp.request("DELETE", `/api/labels/${label.id}/${query}`);
    if (r.ok) return load();
    if (r.status === 409 && r.body?.boxes) return askWhereTo(label, li, r.body.boxes);
    error.textContent = (r.body && r.body.detail) || `Could not delete (${r.status}).`;
  }

  function askWhereTo(label, li, count) {
    li.querySelector(".label-move")?.remove();
    const others = labels.filter((l) => l.id !== label.id);
    const target = h("select", { "aria-label": `Move the boxes of ${label.name} to` }, others.map((l) => h("option", { value: l.id }, l.name)));
    const box = h(
      "div",
      { class: "label-move", role: "group", "data-testid": "label-move" },
      h("span", {}, `${plural(count, "box")} use “${label.name}”. `),
      others.length
        ? [h("label", {}, "Move them to ", target), h("button", { type: "button", class: "btn btn-reject", onclick: () => remove(label, li, target.value) }, "Move boxes and delete")]
        : h("span", {}, "Add another label to move them to, or keep this one."),
      h("button", { type: "button", class: "btn btn-quiet", onclick: () => box.remove() }, "Keep the label"),
    );
    li.append(box);
  }

  function editableRow(label, index) {
    const li = h("li", { class: "label-row", dataset: { labelId: label.id } });
    const color = h("input", { type: "color", value: label.color, "aria-label": `Colour of ${label.name}`, onchange: () => patch(label, { color: color.value }, color) });
    const name = h("input", { type: "text", value: label.name, maxlength: 100, class: "label-name-input", "aria-label": `Name of ${label.name}` });
    name.addEventListener("change", () => name.value.trim() && patch(label, { name: name.value.trim() }, name));
    const prompt = h("input", { type: "text", value: label.prompt === label.name ? "" : label.prompt, maxlength: 32, placeholder: "prompt: same as name", "aria-label": `Prompt of ${label.name}` });
    prompt.addEventListener("change", () => patch(label, { prompt: prompt.value.trim() }, prompt));
    li.append(
      h("div", { class: "label-edit" }, color, name,
        h("button", { type: "button", class: "btn btn-quiet btn-icon", "data-move": "-1", disabled: index === 0, "aria-label": `Move ${label.name} up`, onclick: () => move(label, -1) }, "↑"),
        h("button", { type: "button", class: "btn btn-quiet btn-icon", "data-move": "1", disabled: index === labels.length - 1, "aria-label": `Move ${label.name} down`, onclick: () => move(label, 1) }, "↓"),
        h("button", { type: "button", class: "btn btn-quiet", "aria-label": `Delete ${label.name}`, onclick: () => remove(label, li) }, "Delete")),
      prompt,
    );
    return li;
  }

  function readOnlyRow(label) {
    const prompt = label.prompt && label.prompt !== label.name ? h("span", { class: "muted" }, `prompt: ${label.prompt}`) : null;
    return h("li", { dataset: { labelId: label.id } }, h("span", { class: "swatch", style: { background: label.color } }), h("span", { class: "label-name" }, label.name), prompt);
  }

  function render() {
    clear(list);
    if (!labels.length) list.append(h("li", { class: "muted" }, "No labels yet."));
    labels.forEach((label, i) => list.append(canEdit ? editableRow(label, i) : readOnlyRow(label)));
  }

  async function load() {
    try {
      labels = await pageHttp.getAll(`/api/projects/${projectId}/labels/?page_size=1000`);
      render();
    } catch (e) {
      error.textContent = `Could not load labels: ${e.message}`;
    }
  }

  if (canEdit) {
    const name = h("input", { type: "text", name: "name", required: true, maxlength: 100, "aria-label": "Label name", placeholder: "Name" });
    const prompt = h("input", { type: "text", name: "prompt", maxlength: 32, "aria-label": "Prompt for the model", placeholder: "Prompt (optional)" });
    const form = h("form", { class: "form-row", "data-testid": "label-form" }, name, prompt, h("button", { type: "submit", class: "btn btn-primary" }, "Add label"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const [color] = autoColors([name.value], labels.map((l) => l.color)); // recolour it in the list
      const body = { name: name.value.trim(), color };
      if (prompt.value.trim()) body.prompt = prompt.value.trim();
      try {
        await pageHttp.sendJSON("POST", `/api/projects/${projectId}/labels/`, body);
        form.reset();
        load();
      } catch (e) {
        error.textContent = fieldErrors(e);
      }
    });
    section.append(h("h3", {}, "Add a label"), form, error);
  } else {
    section.append(error);
  }
  load();
  return { section };
}
