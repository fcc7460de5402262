// Pure rules of the "Model evaluations" table: which labels make columns, and which run is best
// in each column. No DOM, so Node's test runner covers them.

/** Label names across runs, in the order they first appear. */
export function labelsOf(runs) {
  const names = [];
  for (const run of runs) {
    for (const name of Object.keys(run.metrics?.ap_50 || {})) if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The value of column `key` for a run (`ap_50:<label>` reads the per-label AP50). */
export function columnValue(run, key) {
  const m = run.metrics || {};
  const value = key.startsWith("ap_50:") ? (m.ap_50 || {})[key.slice(6)] : m[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** {column key: Set of run ids holding the best value} over finished runs; lower wins for seconds. */
export function bestPerColumn(runs, labels) {
  const keys = ["map", "map_50", "map_75", ...labels.map((l) => `ap_50:${l}`), "seconds_per_frame"];
  const best = {};
  for (const key of keys) {
    const lowerWins = key === "seconds_per_frame";
    let top = null;
    let ids = new Set();
    for (const run of runs) {
      if (run.status !== "done") continue;
      const value = columnValue(run, key);
      if (value === null) continue;
      if (top === null || (lowerWins ? value < top : value > top)) {
        top = value;
        ids = new Set([run.id]);
      } else if (value === top) ids.add(run.id);
    }
    best[key] = ids;
  }
  return best;
}

/** "person=human, car=vehicle": the prompts that differ from the label's own name. */
export function promptSummary(prompts) {
  const changed = Object.entries(prompts || {}).filter(([label, prompt]) => label !== prompt);
  return changed.length ? changed.map(([label, prompt]) => `${label}=${prompt}`).join(", ") : "label names";
}
