// The keyboard shortcuts: one table, read both by the key handler and by the `?`
// overlay, so the help can never drift from what the keys do. Pure (no DOM).
//
// An entry: {action, keys: ["ctrl+z", …], help, group}. A combo is lower-case,
// modifiers first in the order ctrl, alt, shift; "ctrl" also matches ⌘ on a Mac.
// Shift is implied (not written) for symbols that need it, like "?", "<" and ">".
// Extensions add entries with addShortcut() (e.g. ai.js: "i" detect, "enter" accept).

export const SHORTCUTS = [
  { action: "undo", keys: ["ctrl+z"], help: "Undo (your last change on this frame)", group: "Edit" },
  { action: "redo", keys: ["ctrl+y", "ctrl+shift+z"], help: "Redo", group: "Edit" },
  { action: "delete", keys: ["delete", "backspace"], help: "Delete the selected box", group: "Edit" },
  { action: "label", keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"], help: "Choose label 1–9 (and relabel the selected box)", group: "Edit" },
  { action: "nudge-left", keys: ["arrowleft", "shift+arrowleft"], help: "Move the selected box left (Shift: 10 px)", group: "Edit" },
  { action: "nudge-right", keys: ["arrowright", "shift+arrowright"], help: "Move the selected box right", group: "Edit" },
  { action: "nudge-up", keys: ["arrowup", "shift+arrowup"], help: "Move the selected box up", group: "Edit" },
  { action: "nudge-down", keys: ["arrowdown", "shift+arrowdown"], help: "Move the selected box down", group: "Edit" },
  { action: "select-next", keys: ["tab", "shift+tab"], help: "Select the next (previous) box", group: "Edit" },
  { action: "deselect", keys: ["escape"], help: "Deselect, cancel a drag, close a dialog", group: "Edit" },
  { action: "feedback-positive", keys: ["a"], help: "Rate the frame positive", group: "Feedback" },
  { action: "feedback-negative", keys: ["s"], help: "Rate the frame negative", group: "Feedback" },
  { action: "feedback-neutral", keys: ["d"], help: "Rate the frame neutral", group: "Feedback" },
  { action: "feedback-clear", keys: ["c"], help: "Clear your rating", group: "Feedback" },
  { action: "previous", keys: [",", "<"], help: "Previous frame", group: "Frames" },
  { action: "next", keys: [".", ">"], help: "Next frame", group: "Frames" },
  { action: "play", keys: ["p"], help: "Play / pause through the frames", group: "Frames" },
  { action: "jump", keys: ["g"], help: "Go to a frame number", group: "Frames" },
  { action: "zoom-in", keys: ["+", "="], help: "Zoom in", group: "View" },
  { action: "zoom-out", keys: ["-"], help: "Zoom out", group: "View" },
  { action: "zoom-fit", keys: ["0"], help: "Fit the frame to the window", group: "View" },
  { action: "pan", keys: ["space"], help: "Hold and drag to pan (wheel zooms at the cursor)", group: "View" },
  { action: "toggle-human", keys: ["h"], help: "Show / hide human boxes", group: "View" },
  { action: "toggle-ai", keys: ["j"], help: "Show / hide AI boxes", group: "View" },
  { action: "help", keys: ["?"], help: "Show this list of shortcuts", group: "Help" },
];

const SYMBOLS_WITH_SHIFT = new Set(["?", "<", ">", "+", "!", "@", "#", "$", "%", "^", "&", "*", "(", ")", "_", "{", "}", ":", '"', "|", "~"]);

export function addShortcut(entry) {
  SHORTCUTS.push(entry);
  return entry;
}

/** The combo string of a keyboard event (or anything with key/ctrlKey/metaKey/altKey/shiftKey). */
export function comboOf(e) {
  let key = e.key === " " ? "space" : (e.key || "").toLowerCase();
  if (key === "spacebar") key = "space";
  const parts = [];
  if (e.ctrlKey || e.metaKey) parts.push("ctrl");
  if (e.altKey) parts.push("alt");
  if (e.shiftKey && !SYMBOLS_WITH_SHIFT.has(key)) parts.push("shift");
  parts.push(key);
  return parts.join("+");
}

/** The entry matching the event, and the digit for "label" (1-9); null when none. */
export function matchShortcut(e, table = SHORTCUTS) {
  const combo = comboOf(e);
  for (const entry of table) {
    if (entry.keys.includes(combo)) {
      return { action: entry.action, entry, arg: entry.action === "label" ? Number(combo) : null };
    }
  }
  return null;
}

/** True while the user types in a field: shortcuts must then leave the keys alone. */
export function isTyping(target) {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName || "").toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target.type || "text").toLowerCase();
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(type);
}

/** Display form of a combo for the overlay: "ctrl+shift+z" -> "Ctrl + Shift + Z". */
export function displayCombo(combo) {
  const names = { ctrl: "Ctrl", alt: "Alt", shift: "Shift", space: "Space", delete: "Del", backspace: "Backspace", escape: "Esc", tab: "Tab", enter: "Enter", arrowleft: "←", arrowright: "→", arrowup: "↑", arrowdown: "↓" };
  return combo
    .split(/\+(?!$)/)
    .map((p) => names[p] || p.toUpperCase())
    .join(" + ");
}

/** Table rows for the overlay, grouped: [{group, rows: [{keys: [display…], help}]}]. */
export function overlayRows(table = SHORTCUTS) {
  const groups = new Map();
  for (const entry of table) {
    if (!groups.has(entry.group)) groups.set(entry.group, []);
    const keys = entry.action === "label" ? ["1 … 9"] : entry.keys.map(displayCombo);
    groups.get(entry.group).push({ keys, help: entry.help });
  }
  return Array.from(groups, ([group, rows]) => ({ group, rows }));
}
