// Undo/redo through the server's history (per user, per frame, so it survives a
// reload): Ctrl+Z / Ctrl+Y call POST /api/images/{id}/undo|redo/ and apply the box
// the server answers with. Unsaved local changes are sent first, so an undo never
// overtakes the change it should revert. Steps run one after another.
//
// emit(type, data): "history" {action, can_undo, can_redo} · "notice" {text, level} · "auth" {detail}

export function createHistory({ api, store, saves, imageId, emit = () => {} }) {
  let chain = Promise.resolve();
  const state = { canUndo: null, canRedo: null };

  async function step(kind) {
    await saves.idle();
    const r = kind === "undo" ? await api.undo(imageId) : await api.redo(imageId);
    if (r.ok) {
      const body = r.body || {};
      // An accept-all is one step: every box it changed comes back in `boxes`. A track operation
      // (copy forward, interpolation) is one step across frames: only this frame's boxes are shown.
      for (const box of body.boxes || (body.box ? [body.box] : [])) {
        if (box.image == null || Number(box.image) === Number(imageId)) store.upsertServer(box, { force: true });
      }
      state.canUndo = body.can_undo ?? null;
      state.canRedo = body.can_redo ?? null;
      emit("history", { action: kind, box: body.box || null, can_undo: state.canUndo, can_redo: state.canRedo });
      return true;
    }
    const detail = (r.body && r.body.detail) || (r.status === 0 ? "The network is unreachable." : `Could not ${kind} (${r.status}).`);
    if (r.status === 401 || r.status === 403) emit("auth", { detail });
    else emit("notice", { text: detail, level: r.status === 400 ? "info" : "error" });
    if (r.status === 409 && r.body?.current) store.upsertServer(r.body.current, { force: true });
    return false;
  }

  function queue(kind) {
    chain = chain.then(() => step(kind));
    return chain;
  }

  return {
    undo: () => queue("undo"),
    redo: () => queue("redo"),
    state,
  };
}
