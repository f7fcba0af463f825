/**
 * The models a key may use, given the lists of every level that can restrict it (the key's own, its
 * team's): the intersection of the lists that restrict, an empty list restricting nothing at its level.
 * `null` when no level restricts; an empty array when the levels leave nothing in common.
 */
export function allowedModels(levels: readonly (readonly string[])[]): string[] | null {
  let allowed: string[] | null = null;
  for (const level of levels) {
    if (level.length === 0) continue;
    if (allowed === null) allowed = [...new Set(level)];
    else {
      const here = new Set(level);
      allowed = allowed.filter((m) => here.has(m));
    }
  }
  return allowed;
}

/** The entries of `wanted` that `limit` does not allow (an empty limit allows everything). */
export function modelsOutside(wanted: readonly string[], limit: readonly string[]): string[] {
  if (limit.length === 0) return [];
  const allowed = new Set(limit);
  return [...new Set(wanted.filter((m) => !allowed.has(m)))];
}
