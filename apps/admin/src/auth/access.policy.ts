import type { Caller, UserCaller } from './caller';

/** Where a route names the entity it acts on. */
export interface Source {
  in: 'param' | 'body' | 'query';
  field: string;
}

/**
 * What a route does, for the guard to decide who may call it. Every admin route declares one with @Access (or is
 * @Public). The master key may call every route.
 * - `global`: the whole proxy (deployments, analytics, audit, end users, creating users and organisations).
 * - `caller`: any authenticated caller; the service shows them only what they may see.
 * - `team`: one team, named at `from` (several when the field is a list: all must be allowed).
 *   `read` its settings; `oversee` its keys and spend; `members` add, change or remove them; `write` change or
 *   delete it. `orGlobal`: when the request names no team, the route acts on everything (global read).
 * - `team_create`: a new team, in the organisation the body names (organization_id) if any.
 * - `key`: one key, by id or secret at `from`; `orGlobal` as for team.
 * - `key_create`: a new key for the team (team_id) and user (user_id) the body names.
 * - `organization`: one organisation; `read`, `members` (add, change, remove), `write` (change, delete).
 * - `user`: one user; `read` or `write`. With `orSelf`, a request naming none acts on the caller.
 */
export type AccessPolicy =
  | { kind: 'global'; action: 'read' | 'write' }
  | { kind: 'caller' }
  | { kind: 'team'; action: 'read' | 'oversee' | 'members' | 'write'; from: Source; orGlobal?: boolean }
  | { kind: 'team_create' }
  | { kind: 'key'; action: 'read' | 'write'; from: Source; orGlobal?: boolean }
  | { kind: 'key_create' }
  | { kind: 'organization'; action: 'read' | 'members' | 'write'; from: Source }
  | { kind: 'user'; action: 'read' | 'write'; from: Source; orSelf?: boolean };

/** What the guard looked up about the entity a request names (undefined: it does not exist). */
export interface TeamFacts {
  id: string;
  organizationId: string | null;
}
export interface KeyFacts {
  id: string;
  userId: string | null;
  team: TeamFacts | undefined;
}
export interface UserFacts {
  id: string;
  organizationId: string | null;
}

const VIEWER_ROLES = new Set(['proxy_admin_viewer', 'internal_user_viewer']);

/** Viewers only read, whatever team or organisation role they also hold. */
export function mayWrite(c: UserCaller): boolean {
  return !VIEWER_ROLES.has(c.role);
}

export function globalAllows(c: Caller, action: 'read' | 'write'): boolean {
  if (c.kind === 'master' || c.role === 'proxy_admin') return true;
  return action === 'read' && c.role === 'proxy_admin_viewer';
}

function orgAdminOf(c: UserCaller, organizationId: string | null | undefined): boolean {
  return organizationId != null && c.organizations.get(organizationId) === 'org_admin';
}

/** May the caller do `action` on the team (undefined: no such team, only global callers pass on to a 404)? */
export function teamAllows(
  c: Caller,
  action: 'read' | 'oversee' | 'members' | 'write',
  team: TeamFacts | undefined,
): boolean {
  if (globalAllows(c, action === 'read' || action === 'oversee' ? 'read' : 'write')) return true;
  if (c.kind === 'master' || team === undefined) return false;
  const reading = action === 'read' || action === 'oversee';
  if (!reading && !mayWrite(c)) return false;
  if (orgAdminOf(c, team.organizationId)) return true;
  const role = c.teams.get(team.id);
  switch (action) {
    case 'read':
      return role !== undefined;
    case 'oversee':
    case 'members':
      return role === 'admin';
    case 'write':
      // Budgets, limits and models of a team are set above it (organisation admin, proxy admin).
      return false;
  }
}

export function teamCreateAllows(c: Caller, organizationId: string | null | undefined): boolean {
  if (globalAllows(c, 'write')) return true;
  return c.kind === 'user' && mayWrite(c) && orgAdminOf(c, organizationId);
}

/** A key: its owner reads it (and changes it unless a viewer); its team's admins and organisation admins manage it. */
export function keyAllows(c: Caller, action: 'read' | 'write', key: KeyFacts | undefined): boolean {
  if (globalAllows(c, action)) return true;
  if (c.kind === 'master' || key === undefined) return false;
  if (action === 'write' && !mayWrite(c)) return false;
  if (key.userId === c.userId) return true;
  return key.team !== undefined && teamAllows(c, action === 'read' ? 'oversee' : 'members', key.team);
}

/**
 * A new key: team admins (and organisation admins) make the team's service keys (no user_id) and their own keys in
 * it; an internal user makes keys for themselves (user_id their own), alone or in a team they belong to. Only proxy
 * admins make keys for other users: a key acts with its user's roles here, so one made for someone else would be a
 * way to borrow theirs.
 */
export function keyCreateAllows(c: Caller, team: TeamFacts | undefined | null, userId: unknown): boolean {
  if (globalAllows(c, 'write')) return true;
  if (c.kind === 'master' || !mayWrite(c)) return false;
  if (team === undefined) return false;
  const forSelf = userId === c.userId;
  if (!forSelf && userId != null) return false;
  if (team !== null && teamAllows(c, 'members', team)) return true;
  return forSelf && (team === null || c.teams.has(team.id));
}

export function organizationAllows(
  c: Caller,
  action: 'read' | 'members' | 'write',
  organizationId: string | undefined,
): boolean {
  if (globalAllows(c, action === 'read' ? 'read' : 'write')) return true;
  if (c.kind === 'master' || organizationId === undefined) return false;
  if (action === 'read') return c.organizations.has(organizationId);
  // An organisation's own budget and limits are the proxy admin's to set; its admins manage its members and teams.
  return action === 'members' && mayWrite(c) && orgAdminOf(c, organizationId);
}

/** A user reads themselves; organisation admins read their organisation's users; proxy admins change users. */
export function userAllows(c: Caller, action: 'read' | 'write', user: UserFacts | undefined): boolean {
  if (globalAllows(c, action)) return true;
  if (c.kind === 'master' || user === undefined || action === 'write') return false;
  return user.id === c.userId || orgAdminOf(c, user.organizationId);
}
