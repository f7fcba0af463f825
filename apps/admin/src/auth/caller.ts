import type { TeamRole, UserRole, OrganizationRole } from '@switchyard/db';

/** Who is calling the admin API: the master key, or the user a virtual key belongs to with their roles. */
export type Caller =
  | { kind: 'master' }
  | {
      kind: 'user';
      userId: string;
      role: UserRole;
      /** The virtual key that authenticated the call. */
      keyId: string;
      /** team id → the caller's role in it. */
      teams: ReadonlyMap<string, TeamRole>;
      /** organisation id → the caller's role in it. */
      organizations: ReadonlyMap<string, OrganizationRole>;
    };

export type UserCaller = Extract<Caller, { kind: 'user' }>;

/** How the audit log names the caller: `master_key`, or `user:<user id>`. */
export function actorOf(caller: Caller | undefined): string {
  if (caller === undefined) return 'system';
  return caller.kind === 'master' ? 'master_key' : `user:${caller.userId}`;
}

/** Proxy admins and proxy admin viewers see everything; everyone else sees what their memberships give. */
export function seesEverything(caller: Caller): boolean {
  return caller.kind === 'master' || caller.role === 'proxy_admin' || caller.role === 'proxy_admin_viewer';
}
