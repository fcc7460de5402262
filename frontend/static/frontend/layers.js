// Layers: show/hide human boxes, AI boxes (and predictions), and each label.
// The choice persists per user in the browser (localStorage key per user id).
// Pure: the storage is injected (localStorage in the page, a Map-backed fake in tests).

export function layersKey(userId) {
  return `hitl.layers.${userId || "anon"}`;
}

export function createLayers({ storage = null, userId = null, onChange = () => {} } = {}) {
  const key = layersKey(userId);
  const state = { human: true, ai: true, hidden: new Set(), lowConfidence: null };

  try {
    const saved = storage && JSON.parse(storage.getItem(key) || "null");
    if (saved) {
      state.human = saved.human !== false;
      state.ai = saved.ai !== false;
      for (const id of saved.hiddenLabels || []) state.hidden.add(Number(id));
    }
  } catch {
    // A corrupt entry means defaults: everything shown.
  }

  function persist() {
    try {
      storage?.setItem(key, JSON.stringify({ human: state.human, ai: state.ai, hiddenLabels: [...state.hidden] }));
    } catch {
      // Storage full or disabled: the choice still holds for this page.
    }
    onChange(layers);
  }

  const layers = {
    get human() {
      return state.human;
    },
    get ai() {
      return state.ai;
    },
    labelShown(id) {
      return !state.hidden.has(id);
    },
    /** Whether a box is drawn and can be picked. */
    visible(box) {
      if (state.hidden.has(box.label)) return false;
      return box.source === "ai" ? state.ai : state.human;
    },
    /** Whether an AI prediction is drawn (not one the project's confidence thresholds hide). */
    visiblePrediction(p) {
      return state.ai && !state.hidden.has(p.label) && !(state.lowConfidence && state.lowConfidence(p));
    },
    /** `isLow(p)`: predictions hidden for a low score (null: none); not persisted, it is the project's. */
    setLowConfidence(isLow) {
      state.lowConfidence = isLow;
      onChange(layers);
    },
    setHuman(on) {
      state.human = !!on;
      persist();
    },
    setAi(on) {
      state.ai = !!on;
      persist();
    },
    setLabel(id, on) {
      if (on) state.hidden.delete(id);
      else state.hidden.add(id);
      persist();
    },
    toggle(layer) {
      if (layer === "human") layers.setHuman(!state.human);
      else if (layer === "ai") layers.setAi(!state.ai);
      else layers.setLabel(layer, state.hidden.has(layer));
    },
  };
  return layers;
}
