import { describe, expect, it } from 'vitest';
import type { UserRole } from '@switchyard/db';
import {
  keyAllows,
  keyCreateAllows,
  organizationAllows,
  teamAllows,
  teamCreateAllows,
  userAllows,
} from './access.policy';
import type { Caller } from './caller';

const user = (
  role: UserRole,
  teams: [string, 'admin' | 'user'][] = [],
  orgs: [string, 'org_admin' | 'member'][] = [],
): Caller => ({
  kind: 'user',
  userId: 'me',
  role,
  keyId: 'k',
  teams: new Map(teams),
  organizations: new Map(orgs),
});
const teamA = { id: 'A', organizationId: 'O' };
const teamB = { id: 'B', organizationId: null };

describe('access policy', () => {
  it('lets proxy admins do everything and proxy admin viewers only read', () => {
    const admin = user('proxy_admin');
    const viewer = user('proxy_admin_viewer');
    for (const action of ['read', 'oversee', 'members', 'write'] as const) {
      expect(teamAllows(admin, action, teamB)).toBe(true);
      expect(teamAllows(viewer, action, teamB)).toBe(action === 'read' || action === 'oversee');
    }
    expect(keyAllows(viewer, 'read', { id: 'k', userId: 'x', team: undefined })).toBe(true);
    expect(keyAllows(viewer, 'write', { id: 'k', userId: 'x', team: undefined })).toBe(false);
    expect(keyCreateAllows(viewer, null, 'me')).toBe(false);
    expect(userAllows(viewer, 'write', { id: 'x', organizationId: null })).toBe(false);
  });

  it('lets a team admin manage members and keys of their team only, and not the team itself', () => {
    const c = user('internal_user', [['A', 'admin']]);
    expect(teamAllows(c, 'members', teamA)).toBe(true);
    expect(teamAllows(c, 'oversee', teamA)).toBe(true);
    expect(teamAllows(c, 'write', teamA)).toBe(false);
    expect(teamAllows(c, 'members', teamB)).toBe(false);
    expect(teamAllows(c, 'read', teamB)).toBe(false);
    expect(keyAllows(c, 'write', { id: 'k', userId: null, team: teamA })).toBe(true);
    expect(keyAllows(c, 'write', { id: 'k', userId: null, team: teamB })).toBe(false);
    expect(keyCreateAllows(c, teamA, undefined)).toBe(true);
    expect(keyCreateAllows(c, teamA, 'me')).toBe(true);
    expect(keyCreateAllows(c, teamB, undefined)).toBe(false);
    // A key acts with its user's roles: making one for another user would borrow theirs.
    expect(keyCreateAllows(c, teamA, 'a-proxy-admin')).toBe(false);
    expect(keyCreateAllows(user('internal_user', [], [['O', 'org_admin']]), teamA, 'someone')).toBe(false);
    expect(keyCreateAllows(user('proxy_admin'), teamA, 'someone')).toBe(true);
  });

  it('never lets a viewer write, whatever team or organisation role they hold', () => {
    const c = user('internal_user_viewer', [['A', 'admin']], [['O', 'org_admin']]);
    expect(teamAllows(c, 'read', teamA)).toBe(true);
    expect(teamAllows(c, 'members', teamA)).toBe(false);
    expect(keyAllows(c, 'read', { id: 'k', userId: 'me', team: undefined })).toBe(true);
    expect(keyAllows(c, 'write', { id: 'k', userId: 'me', team: undefined })).toBe(false);
    expect(organizationAllows(c, 'members', 'O')).toBe(false);
    expect(teamCreateAllows(c, 'O')).toBe(false);
  });

  it('lets an internal user make and manage keys of their own, in no team or a team they belong to', () => {
    const c = user('internal_user', [['B', 'user']]);
    expect(keyCreateAllows(c, null, 'me')).toBe(true);
    expect(keyCreateAllows(c, null, 'someone')).toBe(false);
    expect(keyCreateAllows(c, null, undefined)).toBe(false);
    expect(keyCreateAllows(c, teamB, 'me')).toBe(true);
    expect(keyCreateAllows(c, teamA, 'me')).toBe(false);
    expect(keyCreateAllows(c, undefined, 'me')).toBe(false);
    expect(keyAllows(c, 'write', { id: 'k', userId: 'me', team: teamA })).toBe(true);
    expect(keyAllows(c, 'read', { id: 'k', userId: 'other', team: teamB })).toBe(false);
  });

  it('lets an organisation admin manage its teams and members, and read its users, but not its budget', () => {
    const c = user('internal_user', [], [['O', 'org_admin']]);
    expect(teamAllows(c, 'write', teamA)).toBe(true);
    expect(teamAllows(c, 'write', teamB)).toBe(false);
    expect(teamCreateAllows(c, 'O')).toBe(true);
    expect(teamCreateAllows(c, null)).toBe(false);
    expect(organizationAllows(c, 'members', 'O')).toBe(true);
    expect(organizationAllows(c, 'write', 'O')).toBe(false);
    expect(organizationAllows(c, 'read', 'P')).toBe(false);
    expect(userAllows(c, 'read', { id: 'x', organizationId: 'O' })).toBe(true);
    expect(userAllows(c, 'write', { id: 'x', organizationId: 'O' })).toBe(false);
  });

  it('lets the master key do everything, and refuses an entity that does not exist to everyone else', () => {
    const master: Caller = { kind: 'master' };
    expect(teamAllows(master, 'write', undefined)).toBe(true);
    expect(teamAllows(user('internal_user', [['A', 'admin']]), 'read', undefined)).toBe(false);
    expect(keyAllows(user('internal_user'), 'read', undefined)).toBe(false);
  });
});
