// Words the server and every page share: project roles and frame review statuses.
// Pure; the values are the API's (annotations.models.Role and Image.Status).

/** Project roles, weakest first. */
export const ROLES = Object.freeze(["annotator", "reviewer", "manager"]);

/** A role's rank: a higher rank may do everything a lower one may. 0 for no role. */
export function roleRank(role) {
  return ROLES.indexOf(role) + 1;
}

/**
 * The role to suggest for a new invite, given the project's members ({user, role}) and the caller's
 * id: while nobody but the caller may review, nothing the caller submits could ever be approved
 * (four-eyes review), so a reviewer; after that an annotator.
 */
export function suggestedInviteRole(members, me) {
  const others = members.filter((m) => m.user !== me && roleRank(m.role) >= roleRank("reviewer"));
  return others.length ? "annotator" : "reviewer";
}

/** Review statuses of a frame, in workflow order. */
export const STATUSES = Object.freeze(["new", "in_progress", "submitted", "approved", "rejected"]);

export const STATUS_LABELS = Object.freeze({
  new: "New",
  in_progress: "In progress",
  submitted: "Submitted",
  approved: "Approved",
  rejected: "Rejected",
});

/** "1 box", "2 boxes", "0 frames": a count with its noun agreeing. */
export function plural(n, one, many = /(s|x|ch|sh)$/.test(one) ? `${one}es` : `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
