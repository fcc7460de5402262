// Pure helpers about review status and progress (no DOM): unit-tested with node --test.
import { STATUSES } from "../lib/constants.js";

/** Normalise whatever counts an endpoint gives ({status: n}) into all five statuses and a total. */
export function progressOf(counts = {}) {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, Math.max(0, Number(counts[s]) || 0)]));
  const total = STATUSES.reduce((sum, s) => sum + byStatus[s], 0);
  // "Done" means a reviewer has looked at it or it waits for one.
  const done = byStatus.submitted + byStatus.approved + byStatus.rejected;
  return { byStatus, total, done, percent: total ? Math.round((100 * done) / total) : 0 };
}

/** Bar segments in status order, widths in percent, empty statuses left out. */
export function progressSegments(progress) {
  if (!progress.total) return [];
  const order = ["approved", "submitted", "rejected", "in_progress", "new"];
  return order
    .filter((s) => progress.byStatus[s] > 0)
    .map((s) => ({ status: s, count: progress.byStatus[s], width: (100 * progress.byStatus[s]) / progress.total }));
}

export function feedbackKind(rating) {
  if (rating === 1 || rating === "1") return "positive";
  if (rating === -1 || rating === "-1") return "negative";
  if (rating === 0 || rating === "0") return "neutral";
  return null;
}

export const FEEDBACK_SYMBOL = { positive: "+", neutral: "=", negative: "−" };
