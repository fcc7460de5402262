// The annotate page's keyboard: what each action of the shortcut table (shortcuts.js)
// does, and the key handler. Keys are ignored while typing in a field and while a
// dialog is open; an extension's entry runs its own `run(app, event)`.
// Returns the actions so buttons can share them.

import { SHORTCUTS, isTyping, matchShortcut } from "./shortcuts.js";
import { moveBox, zoomAt } from "./canvas/geometry.js";

export function installKeys({ app, canvas, imageSize, getView, setView, fit, pickLabel, rate, nav, tools, ui, setSpace, editable = () => true }) {
  const { store } = app;
  /** An action that changes the frame: refused (with a notice) while the frame is read-only. */
  const edit = (fn) => (...args) => (editable() ? fn(...args) : undefined);

  const nudge = (dx, dy, e) => {
    const b = app.selected();
    if (!b) return;
    const k = e.shiftKey ? 10 : 1;
    store.patch(b.cid, moveBox(b, dx * k, dy * k, imageSize.w, imageSize.h));
    app.saves.update(b.cid);
  };
  const cycle = (dir) => {
    const list = store.list().filter((b) => !b.doomed && app.layers.visible(b));
    if (!list.length) return;
    const current = app.selected();
    const i = current ? list.indexOf(current) : -1;
    app.select(list[(i + dir + list.length) % list.length].cid);
  };
  const zoomCenter = (factor) => {
    const r = canvas.getBoundingClientRect();
    setView(zoomAt(getView(), r.width / 2, r.height / 2, factor));
  };

  const actions = {
    undo: edit(() => app.history.undo()),
    redo: edit(() => app.history.redo()),
    delete: edit(() => {
      const b = app.selected();
      if (!b) return;
      app.saves.remove(b.cid);
      app.select(null);
    }),
    label: (n) => store.labels()[n - 1] && pickLabel(store.labels()[n - 1].id),
    "nudge-left": edit((_, e) => nudge(-1, 0, e)),
    "nudge-right": edit((_, e) => nudge(1, 0, e)),
    "nudge-up": edit((_, e) => nudge(0, -1, e)),
    "nudge-down": edit((_, e) => nudge(0, 1, e)),
    "select-next": (_, e) => cycle(e.shiftKey ? -1 : 1),
    deselect: () => tools.cancel() || app.select(null),
    "feedback-positive": () => rate(1),
    "feedback-negative": () => rate(-1),
    "feedback-neutral": () => rate(0),
    "feedback-clear": () => rate(null),
    previous: () => nav.previous(),
    next: () => nav.next(),
    play: () => nav.togglePlay(),
    jump: () => nav.focusJump(),
    "zoom-in": () => zoomCenter(1.25),
    "zoom-out": () => zoomCenter(0.8),
    "zoom-fit": fit,
    "toggle-human": () => app.layers.toggle("human"),
    "toggle-ai": () => app.layers.toggle("ai"),
    help: () => ui.helpOverlay(),
  };

  document.addEventListener("keydown", (e) => {
    if (isTyping(e.target) || e.defaultPrevented) return;
    if (document.querySelector("dialog[open]") && e.key !== "?") return; // dialogs own the keys
    const onControl = e.target && ["BUTTON", "A", "SUMMARY"].includes(e.target.tagName);
    if (e.key === " ") {
      if (onControl) return; // Space presses the focused button
      setSpace(true);
      canvas.style.cursor = "grab";
      return e.preventDefault();
    }
    const m = matchShortcut(e, SHORTCUTS);
    if (!m) return;
    // Tab moves between boxes only from the canvas; elsewhere it moves the focus as usual.
    if (m.action === "select-next" && e.target !== canvas && e.target !== document.body) return;
    e.preventDefault();
    if (m.entry.run) m.entry.run(app, e);
    else actions[m.action]?.(m.arg, e);
  });
  document.addEventListener("keyup", (e) => {
    if (e.key === " ") {
      setSpace(false);
      canvas.style.cursor = "";
    }
  });
  return actions;
}
