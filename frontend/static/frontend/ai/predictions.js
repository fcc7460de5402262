// Pure rules of the AI layer (no DOM), unit-tested with node --test: which prompts to
// offer, which AI box a click picks, which one comes next, and what the panel says.
// A prediction is {id, prompt, label, x_min, y_min, x_max, y_max, score, status}.

import { hitBox } from "../canvas/geometry.js";

const PROMPT_RE = /^[A-Za-z][A-Za-z \-]{0,31}$/;

/** The prompts of the labels that are usable as one-noun prompts, lower-cased, no duplicates. */
export function defaultPrompts(labels) {
  const out = [];
  for (const label of labels || []) {
    const prompt = String(label?.prompt || label?.name || "").trim().replace(/\s+/g, " ").toLowerCase();
    if (PROMPT_RE.test(prompt) && !out.includes(prompt)) out.push(prompt);
  }
  return out;
}

/**
 * Split prompts into those the active detector can look for and those it cannot.
 * `supported` is the detector's fixed list, or null/empty when it takes any noun (moondream).
 */
export function splitSupported(prompts, supported) {
  if (!supported || supported.length === 0) return { usable: [...prompts], unsupported: [] };
  const known = new Set(supported.map((p) => String(p).toLowerCase()));
  return {
    usable: prompts.filter((p) => known.has(p)),
    unsupported: prompts.filter((p) => !known.has(p)),
  };
}

/** Waiting for a human decision (a prediction streamed live has no status yet). */
export function isPending(p) {
  return !p.status || p.status === "pending";
}

export function pendingOf(predictions) {
  return predictions.filter(isPending);
}

/** The smallest pending, visible prediction containing image point (x, y), or null. */
export function hitPrediction(predictions, x, y, visible = () => true) {
  return hitBox(predictions, x, y, (p) => isPending(p) && visible(p));
}

/** The pending prediction after `id` in list order (wrapping), or null when none is pending. */
export function nextPending(predictions, id) {
  const pending = pendingOf(predictions);
  if (!pending.length) return null;
  const i = pending.findIndex((p) => p.id === id);
  return pending[(i + 1) % pending.length]; // i = -1 (not pending any more) gives the first
}

/** Whether accepting `p` needs no label choice: it has one, or a label's prompt (else name) is its prompt. */
export function hasLabel(labels, p) {
  if (p.label != null) return true;
  const prompt = String(p.prompt || "").trim().toLowerCase();
  return (labels || []).some((l) => String(l.prompt || l.name || "").trim().toLowerCase() === prompt);
}

/** The panel's line about what waits for a decision. */
export function pendingSummary(count) {
  return count ? `${count} AI box${count === 1 ? "" : "es"} to review. Enter accepts, Del rejects.` : "No AI boxes waiting.";
}

/** The panel's line about the selected prediction. */
export function selectedSummary(p) {
  return `Selected: ${p.prompt}${p.score != null ? ` (${Math.round(p.score * 100)} %)` : ""}. Enter accepts, Del rejects.`;
}

/** The active detector as one line: "Detector: opencv · haar · cpu"; "· unavailable" when its model failed to load. */
export function detectorLine(status) {
  const line = `Detector: ${status.backend}${status.model ? ` · ${status.model}` : ""}${status.device ? ` · ${status.device}` : ""}`;
  return status.error ? `${line} · unavailable` : line;
}

/**
 * The project's confidence thresholds in use as {label id: score}, from the status endpoint's
 * `project_config` (thresholds by label name); {} when they are off.
 */
export function thresholdsByLabel(config, labels) {
  if (!config?.thresholds_enabled) return {};
  const out = {};
  for (const label of labels || []) {
    const value = config.thresholds?.[label.name];
    if (typeof value === "number") out[label.id] = value;
  }
  return out;
}

/** A pending prediction the thresholds hide: its label has one and its score is below it. */
export function belowThreshold(p, thresholds) {
  const t = thresholds?.[p.label];
  return t !== undefined && p.score !== null && p.score !== undefined && isPending(p) && p.score < t;
}

/** "3 low-confidence boxes hidden" (or "" for none). */
export function hiddenSummary(count) {
  return count ? `${count} low-confidence box${count === 1 ? "" : "es"} hidden` : "";
}

/** The project's active configuration as one line: backend, model@revision, prompts, thresholds. */
export function configLine(config) {
  if (!config) return "";
  const model = config.model ? ` · ${config.model}${config.revision ? `@${config.revision}` : ""}` : (config.revision ? ` · ${config.revision}` : "");
  const prompts = Object.entries(config.prompts || {}).filter(([name, prompt]) => name !== prompt).map(([name, prompt]) => `${name}=${prompt}`);
  const thresholds = Object.entries(config.thresholds || {}).map(([name, t]) => `${name} ≥ ${Number(t).toFixed(2)}`);
  return `Project configuration: ${config.backend}${model}`
    + (prompts.length ? ` · prompts ${prompts.join(", ")}` : "")
    + (config.thresholds_enabled && thresholds.length ? ` · thresholds ${thresholds.join(", ")}` : " · thresholds off");
}
