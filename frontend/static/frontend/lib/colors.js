// Label colours (pure, no DOM): the automatic palette new labels take, and the WCAG contrast
// rules that keep a label's name legible on its own colour.

/** Ten well-separated colours (matplotlib's tab10, the default of most detection tools). */
export const PALETTE = Object.freeze([
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]);

/** A colour for each name, skipping those already `used` while the palette lasts. */
export function autoColors(names, used = []) {
  const taken = new Set(used.map((c) => String(c).toLowerCase()));
  const free = PALETTE.filter((c) => !taken.has(c));
  return names.map((_, i) => (free.length ? free[i % free.length] : PALETTE[i % PALETTE.length]));
}

/** "gull, tern\nheron" → ["gull", "tern", "heron"]: trimmed, blanks and repeats (any case) dropped. */
export function parseLabelNames(text) {
  const out = [];
  const seen = new Set();
  for (const raw of String(text || "").split(/[,\n]/)) {
    const name = raw.trim().replace(/\s+/g, " ");
    if (name && !seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      out.push(name);
    }
  }
  return out;
}

function channel(v) {
  const c = v / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of "#rrggbb". */
export function luminance(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(String(hex).trim());
  if (!m) return 0;
  const n = parseInt(m[1], 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

/** WCAG contrast ratio between two colours (1 … 21). */
export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on `background` (always ≥ 4.5:1 for any colour). */
export function textOn(background) {
  return contrastRatio(background, "#000000") >= contrastRatio(background, "#ffffff") ? "#000000" : "#ffffff";
}

function rgbOf(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(String(hex).trim());
  const n = m ? parseInt(m[1], 16) : 0x1f77b4;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function hexOf(rgb) {
  return `#${rgb.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, "0")).join("")}`;
}

// Steps toward white (+) or black (−), alternating and growing, so tracks 1, 2, 3… of one label
// are told apart side by side while every shade stays recognisably the label's colour.
const SHADE_STEPS = Object.freeze([0, -0.3, 0.3, -0.5, 0.5, -0.15, 0.15, -0.4, 0.4, -0.6]);

/** The shade of a label's `hex` colour that track `number` (1, 2, …) is drawn in. Pure, deterministic. */
export function trackShade(hex, number) {
  const step = SHADE_STEPS[(Math.max(1, Math.trunc(Number(number) || 1)) - 1) % SHADE_STEPS.length];
  const rgb = rgbOf(hex);
  const target = step > 0 ? 255 : 0;
  return hexOf(rgb.map((v) => v + (target - v) * Math.abs(step)));
}
