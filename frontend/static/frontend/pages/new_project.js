// "New project" on the project list: name, description and labels typed as a list; each label
// gets a colour from the palette at once, editable before creating. The project and its
// labels are made in one request (all or nothing); the creator lands on its page as manager.
import { pageHttp } from "../lib/http.js";
import { h, clear } from "../lib/dom.js";
import { autoColors, parseLabelNames } from "../lib/colors.js";
import { fieldErrors } from "./form_errors.js";

export function newProjectForm() {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200, id: "np-name", autocomplete: "off" });
  const description = h("textarea", { name: "description", id: "np-description", rows: 2, maxlength: 10000 });
  const labelsText = h("textarea", { name: "labels", id: "np-labels", rows: 2, placeholder: "person, car, bicycle" });
  const chips = h("ul", { class: "label-chips", "data-testid": "np-label-chips", "aria-label": "Labels and their colours" });
  const error = h("p", { class: "error-text", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create project");
  const colors = new Map(); // name (lower case) -> colour the user picked or the palette gave

  function renderChips() {
    const names = parseLabelNames(labelsText.value);
    const fresh = names.filter((n) => !colors.has(n.toLowerCase()));
    const given = autoColors(fresh, [...colors.values()]);
    fresh.forEach((n, i) => colors.set(n.toLowerCase(), given[i]));
    clear(chips).append(
      ...names.map((n) => {
        const input = h("input", { type: "color", value: colors.get(n.toLowerCase()), "aria-label": `Colour of ${n}`, oninput: (e) => colors.set(n.toLowerCase(), e.target.value) });
        return h("li", { dataset: { label: n } }, input, h("span", {}, n));
      }),
    );
  }
  labelsText.addEventListener("input", renderChips);

  const form = h(
    "form",
    { class: "card form-stack new-project", hidden: true, "data-testid": "new-project-form", "aria-label": "New project" },
    h("h2", {}, "New project"),
    h("label", { for: "np-name" }, "Name"),
    name,
    h("label", { for: "np-description" }, "Description (optional)"),
    description,
    h("label", { for: "np-labels" }, "Labels (separated by commas or lines; colours are picked for you, click one to change it)"),
    labelsText,
    chips,
    h("div", { class: "form-row" }, submit),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    submit.textContent = "Creating…";
    const labels = parseLabelNames(labelsText.value).map((n) => ({ name: n, color: colors.get(n.toLowerCase()) }));
    try {
      const project = await pageHttp.sendJSON("POST", "/api/projects/", { name: name.value.trim(), description: description.value.trim(), labels });
      window.location.assign(`/projects/${project.id}/`);
    } catch (e) {
      error.textContent = fieldErrors(e);
      submit.disabled = false;
      submit.textContent = "Create project";
    }
  });
  return form;
}
