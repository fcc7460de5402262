// The timeline strip under the canvas: one cell per frame of the sequence for the selected
// track, marked keyframe / interpolated / tracked / gap, the current frame outlined. A click
// (or Enter / Space on a focused cell) goes to that frame. Keyboard: the strip is one tab stop
// (roving tabindex); ← → move along it, Shift+← → jump to the previous / next keyframe,
// Home / End to the ends. Those keys are taken here, before the page's shortcuts see them.
// On a frame of a sequence the strip is always there (empty while no track is followed), so the
// canvas does not change size under the pointer when a track is chosen.

import { h, clear } from "../lib/dom.js";
import { CELL_TEXT, cellSummary, neighbourKeyframe } from "./model.js";

/**
 * @param {object} options
 * @param {HTMLElement} options.container   the strip's place under the canvas
 * @param {(image: number) => void} options.onGo
 */
export function createTimeline({ container, onGo }) {
  const title = h("span", { class: "timeline-title", id: "timeline-title" });
  const summary = h("span", { class: "timeline-summary muted", "data-testid": "timeline-summary" });
  const strip = h("div", { class: "timeline-cells", role: "toolbar", "aria-labelledby": "timeline-title", "data-testid": "timeline-cells" });
  const legend = h("span", { class: "timeline-legend muted", "aria-hidden": "true" },
    ["keyframe", "interpolated", "tracked", "gap"].map((s) => h("span", { class: "timeline-key", "data-state": s }, h("i"), CELL_TEXT[s])));
  container.append(h("div", { class: "timeline-head" }, title, summary, legend), strip);
  let cells = [];
  let current = null;

  function buttons() {
    return [...strip.children];
  }

  // Only the strip scrolls (sideways): scrollIntoView would also scroll the page under the canvas.
  function reveal(button, centre = false) {
    const left = button.offsetLeft;
    const right = left + button.offsetWidth;
    if (centre) strip.scrollLeft = left - (strip.clientWidth - button.offsetWidth) / 2;
    else if (left < strip.scrollLeft) strip.scrollLeft = left;
    else if (right > strip.scrollLeft + strip.clientWidth) strip.scrollLeft = right - strip.clientWidth;
  }

  function focusCell(i) {
    const list = buttons();
    if (!list.length) return;
    const k = Math.max(0, Math.min(list.length - 1, i));
    for (const b of list) b.tabIndex = -1;
    list[k].tabIndex = 0;
    list[k].focus({ preventScroll: true });
    reveal(list[k]);
  }

  strip.addEventListener("keydown", (e) => {
    const list = buttons();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    let to = null;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      const dir = e.key === "ArrowLeft" ? -1 : 1;
      if (e.shiftKey) {
        const key = neighbourKeyframe(cells, cells[i].image, dir);
        to = key === null ? i : cells.findIndex((c) => c.image === key);
      } else to = i + dir;
    } else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = list.length - 1;
    else if (e.key === "ArrowUp" || e.key === "ArrowDown") to = i; // no nudging the box from here
    else if (e.key === "Enter") {
      // The page's Enter (accept an AI box) would cancel the button's own activation.
      e.preventDefault();
      return list[i].click();
    }
    if (to === null) return;
    e.preventDefault();
    focusCell(to);
  });

  function cellButton(c) {
    const text = `Frame ${c.frame_index}: ${CELL_TEXT[c.state]}`;
    return h("button", {
      type: "button", class: "timeline-cell", tabindex: -1, title: text, "aria-label": text,
      "data-state": c.state, "data-image": c.image, "data-frame": c.frame_index,
      "aria-current": c.image === current ? "true" : null,
      onclick: () => c.image !== current && onGo(c.image),
    });
  }

  function render() {
    clear(strip);
    strip.append(...cells.map(cellButton));
    summary.textContent = cellSummary(cells);
    const list = buttons();
    const here = Math.max(0, cells.findIndex((c) => c.image === current));
    if (list[here]) {
      list[here].tabIndex = 0;
      reveal(list[here], true);
    }
  }

  return {
    /** Show `track` ({number, label name}) over `cells`, `image` being the frame on screen. */
    show({ heading, list, image }) {
      container.hidden = false;
      container.dataset.track = heading.track ?? "";
      title.textContent = heading.text;
      cells = list;
      current = Number(image);
      render();
    },
    /** One frame's state changed (a propagated box arrived, an edit made a keyframe). */
    mark(image, state) {
      const c = cells.find((x) => x.image === Number(image));
      if (!c || c.state === state) return;
      c.state = state;
      const b = strip.querySelector(`[data-image="${Number(image)}"]`);
      if (b) {
        const fresh = cellButton(c);
        fresh.tabIndex = b.tabIndex;
        b.replaceWith(fresh);
      }
      summary.textContent = cellSummary(cells);
    },
    /** No track followed: the strip keeps its place (the canvas must not jump when one is), empty. */
    empty() {
      container.hidden = false;
      container.dataset.track = "";
      title.textContent = "No track followed";
      summary.textContent = "Select a box of a track (or copy forward) to see its frames here.";
      cells = [];
      clear(strip);
    },
    cells: () => cells,
  };
}
