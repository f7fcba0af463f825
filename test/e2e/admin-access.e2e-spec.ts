import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '@switchyard/testing';

/**
 * Every admin route × every role, through the real admin service and Postgres. The routes come from the service's
 * own OpenAPI document, so a route added without a row here (and so without a decided policy) fails the test.
 */

const ROLES = [
  'master',
  'proxy_admin',
  'proxy_admin_viewer',
  'internal_user',
  'internal_user_viewer',
  'team_admin_on_A',
  'team_admin_on_B',
  'team_user',
  'org_admin',
  'no_key',
  'unknown_key',
] as const;
type Role = (typeof ROLES)[number];
type Side = 'A' | 'B';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Answer {
  status: number;
  json: Json;
}

/** What a request acts on: team A (in organisation O) for every role but team_admin_on_B, which acts on team B. */
interface Targets {
  team: string;
  org: string;
  /** A key of the team, owned by no user. */
  key: string;
  /** A user of the organisation, a `user` member of the team. */
  user: string;
}

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

/** Routes marked @Public(): reachable without a key by design. */
const PUBLIC = new Set(['GET /health', 'GET /health/liveness', 'GET /health/liveliness', 'GET /health/readiness']);

const EVERYONE: Role[] = [
  'master',
  'proxy_admin',
  'proxy_admin_viewer',
  'internal_user',
  'internal_user_viewer',
  'team_admin_on_A',
  'team_admin_on_B',
  'team_user',
  'org_admin',
];
const ADMIN: Role[] = ['master', 'proxy_admin'];
const READERS: Role[] = ['master', 'proxy_admin', 'proxy_admin_viewer'];
/** Read a team: proxy admins and viewers, its members, its organisation's admins. */
const TEAM_READ: Role[] = [...READERS, 'team_admin_on_A', 'team_user', 'org_admin'];
/** Its keys and spend: proxy admins and viewers, its admins, its organisation's admins. */
const TEAM_OVERSEE: Role[] = [...READERS, 'team_admin_on_A', 'org_admin'];
/** Its members and keys: proxy admins, its admins, its organisation's admins (never a viewer). */
const TEAM_MANAGE: Role[] = [...ADMIN, 'team_admin_on_A', 'org_admin'];
/** The team itself (budget, limits, models, deletion) and new teams in an organisation: above the team. */
const TEAM_WRITE: Role[] = [...ADMIN, 'org_admin'];
const ORG_READ: Role[] = [...READERS, 'org_admin'];
const ORG_MEMBERS: Role[] = [...ADMIN, 'org_admin'];
/** Another user: proxy admins and viewers, and the admins of their organisation, read them. */
const USER_READ: Role[] = [...READERS, 'org_admin'];

describe('admin API access: every route × every role', () => {
  let stack: Stack;
  const keys = {} as Record<Role, string | null>;
  const userIds = {} as Record<string, string>;
  const targets = {} as Record<Side, Targets>;
  let endUser = '';

  const call = async (auth: string | null, req: Request): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(stack.adminUrl + req.path, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };
  /** A call with the master key that must succeed. */
  const admin = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const r = await call(stack.masterKey, { method, path, body });
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const uid = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;
  const newUser = async (body: Record<string, unknown> = {}) =>
    (await admin('POST', '/v1/users', { user_id: uid('user'), ...body })).user_id as string;
  const keyFor = async (userId: string) => (await admin('POST', '/v1/keys', { user_id: userId })).key as string;
  /** A fresh team like the side's (same organisation, same admin and user members). */
  const freshTeam = async (side: Side) => {
    const team = await admin('POST', '/v1/teams', {
      team_alias: uid('team'),
      ...(side === 'A' && { organization_id: targets.A.org }),
    });
    if (side === 'A') {
      await admin('POST', `/v1/teams/${team.id}/members`, { user_id: userIds.team_admin, role: 'admin' });
      await admin('POST', `/v1/teams/${team.id}/members`, { user_id: userIds.team_user, role: 'user' });
    }
    return team.id as string;
  };
  const freshKey = async (t: Targets) => (await admin('POST', '/v1/keys', { team_id: t.team })).id as string;
  const freshMember = async (t: Targets) => {
    const id = await newUser({ organization_id: t.org });
    await admin('POST', `/v1/teams/${t.team}/members`, { user_id: id, role: 'user' });
    return id;
  };
  const freshOrgMember = async (t: Targets) => newUser({ organization_id: t.org });

  /** One row per admin route: the request it makes for a role's targets, and who may make it. */
  const ROUTES: Record<string, { req: (t: Targets) => Request | Promise<Request>; allow: Role[] }> = {
    'POST /v1/teams': {
      req: (t) => ({ method: 'POST', path: '/v1/teams', body: { team_alias: uid('t'), organization_id: t.org } }),
      allow: TEAM_WRITE,
    },
    'GET /v1/teams': { req: () => ({ method: 'GET', path: '/v1/teams' }), allow: EVERYONE },
    'GET /v1/teams/{id}': { req: (t) => ({ method: 'GET', path: `/v1/teams/${t.team}` }), allow: TEAM_READ },
    'PATCH /v1/teams/{id}': {
      req: (t) => ({ method: 'PATCH', path: `/v1/teams/${t.team}`, body: { team_alias: uid('renamed') } }),
      allow: TEAM_WRITE,
    },
    'DELETE /v1/teams/{id}': {
      req: async (t) => ({ method: 'DELETE', path: `/v1/teams/${await freshTeam(t === targets.A ? 'A' : 'B')}` }),
      allow: TEAM_WRITE,
    },
    'GET /v1/teams/{id}/members': {
      req: (t) => ({ method: 'GET', path: `/v1/teams/${t.team}/members` }),
      allow: TEAM_READ,
    },
    'POST /v1/teams/{id}/members': {
      req: (t) => ({ method: 'POST', path: `/v1/teams/${t.team}/members`, body: { user_id: t.user, role: 'user' } }),
      allow: TEAM_MANAGE,
    },
    'PATCH /v1/teams/{id}/members/{user_id}': {
      req: (t) => ({ method: 'PATCH', path: `/v1/teams/${t.team}/members/${t.user}`, body: { role: 'user' } }),
      allow: TEAM_MANAGE,
    },
    'DELETE /v1/teams/{id}/members/{user_id}': {
      req: async (t) => ({ method: 'DELETE', path: `/v1/teams/${t.team}/members/${await freshMember(t)}` }),
      allow: TEAM_MANAGE,
    },
    'POST /v1/keys': {
      req: (t) => ({ method: 'POST', path: '/v1/keys', body: { team_id: t.team } }),
      allow: TEAM_MANAGE,
    },
    'GET /v1/keys': { req: (t) => ({ method: 'GET', path: `/v1/keys?team_id=${t.team}` }), allow: TEAM_OVERSEE },
    'GET /v1/keys/{id}': { req: (t) => ({ method: 'GET', path: `/v1/keys/${t.key}` }), allow: TEAM_OVERSEE },
    'PATCH /v1/keys/{id}': {
      req: (t) => ({ method: 'PATCH', path: `/v1/keys/${t.key}`, body: { key_alias: uid('k') } }),
      allow: TEAM_MANAGE,
    },
    'POST /v1/keys/{id}/block': {
      req: (t) => ({ method: 'POST', path: `/v1/keys/${t.key}/block` }),
      allow: TEAM_MANAGE,
    },
    'POST /v1/keys/{id}/unblock': {
      req: (t) => ({ method: 'POST', path: `/v1/keys/${t.key}/unblock` }),
      allow: TEAM_MANAGE,
    },
    'DELETE /v1/keys/{id}': {
      req: async (t) => ({ method: 'DELETE', path: `/v1/keys/${await freshKey(t)}` }),
      allow: TEAM_MANAGE,
    },
    'GET /v1/spend': { req: (t) => ({ method: 'GET', path: `/v1/spend?team_id=${t.team}` }), allow: TEAM_OVERSEE },
    'GET /v1/deployments': { req: () => ({ method: 'GET', path: '/v1/deployments' }), allow: READERS },
    'GET /v1/audit': { req: () => ({ method: 'GET', path: '/v1/audit?limit=5' }), allow: READERS },
    'GET /v1/analytics': { req: () => ({ method: 'GET', path: '/v1/analytics' }), allow: READERS },
    'GET /v1/logs': { req: () => ({ method: 'GET', path: '/v1/logs?limit=5' }), allow: READERS },
    'POST /v1/end-users': {
      req: () => ({ method: 'POST', path: '/v1/end-users', body: { user_id: endUser, rpm_limit: 100 } }),
      allow: ADMIN,
    },
    'GET /v1/end-users/{id}': { req: () => ({ method: 'GET', path: `/v1/end-users/${endUser}` }), allow: READERS },
    'POST /customer/new': {
      req: () => ({ method: 'POST', path: '/customer/new', body: { user_id: endUser } }),
      allow: ADMIN,
    },
    'POST /customer/update': {
      req: () => ({ method: 'POST', path: '/customer/update', body: { user_id: endUser } }),
      allow: ADMIN,
    },
    'GET /customer/info': {
      req: () => ({ method: 'GET', path: `/customer/info?end_user_id=${endUser}` }),
      allow: READERS,
    },
    'POST /customer/block': {
      req: () => ({ method: 'POST', path: '/customer/block', body: { user_ids: [endUser] } }),
      allow: ADMIN,
    },
    'POST /customer/unblock': {
      req: () => ({ method: 'POST', path: '/customer/unblock', body: { user_ids: [endUser] } }),
      allow: ADMIN,
    },
    'POST /key/generate': {
      req: (t) => ({ method: 'POST', path: '/key/generate', body: { team_id: t.team } }),
      allow: TEAM_MANAGE,
    },
    'POST /key/update': {
      req: (t) => ({ method: 'POST', path: '/key/update', body: { key: t.key, key_alias: uid('k') } }),
      allow: TEAM_MANAGE,
    },
    'POST /key/block': {
      req: (t) => ({ method: 'POST', path: '/key/block', body: { key: t.key } }),
      allow: TEAM_MANAGE,
    },
    'POST /key/unblock': {
      req: (t) => ({ method: 'POST', path: '/key/unblock', body: { key: t.key } }),
      allow: TEAM_MANAGE,
    },
    'POST /key/delete': {
      req: async (t) => ({ method: 'POST', path: '/key/delete', body: { keys: [await freshKey(t)] } }),
      allow: TEAM_MANAGE,
    },
    'GET /key/info': { req: (t) => ({ method: 'GET', path: `/key/info?key=${t.key}` }), allow: TEAM_OVERSEE },
    'POST /team/new': {
      req: (t) => ({ method: 'POST', path: '/team/new', body: { team_alias: uid('t'), organization_id: t.org } }),
      allow: TEAM_WRITE,
    },
    'POST /team/update': {
      req: (t) => ({ method: 'POST', path: '/team/update', body: { team_id: t.team, team_alias: uid('t') } }),
      allow: TEAM_WRITE,
    },
    'GET /spend/logs': { req: (t) => ({ method: 'GET', path: `/spend/logs?api_key=${t.key}` }), allow: TEAM_OVERSEE },
    'GET /global/spend/report': { req: () => ({ method: 'GET', path: '/global/spend/report' }), allow: READERS },
    'POST /v1/users': { req: () => ({ method: 'POST', path: '/v1/users', body: { user_id: uid('u') } }), allow: ADMIN },
    'GET /v1/users': { req: () => ({ method: 'GET', path: '/v1/users' }), allow: EVERYONE },
    'GET /v1/users/{id}': { req: (t) => ({ method: 'GET', path: `/v1/users/${t.user}` }), allow: USER_READ },
    'PATCH /v1/users/{id}': {
      req: (t) => ({ method: 'PATCH', path: `/v1/users/${t.user}`, body: { metadata: { n: uid('m') } } }),
      allow: ADMIN,
    },
    'DELETE /v1/users/{id}': {
      req: async (t) => ({ method: 'DELETE', path: `/v1/users/${await freshOrgMember(t)}` }),
      allow: ADMIN,
    },
    'POST /v1/organizations': {
      req: () => ({ method: 'POST', path: '/v1/organizations', body: { organization_alias: uid('o') } }),
      allow: ADMIN,
    },
    'GET /v1/organizations': { req: () => ({ method: 'GET', path: '/v1/organizations' }), allow: EVERYONE },
    'GET /v1/organizations/{id}': {
      req: (t) => ({ method: 'GET', path: `/v1/organizations/${t.org}` }),
      allow: ORG_READ,
    },
    'PATCH /v1/organizations/{id}': {
      req: (t) => ({ method: 'PATCH', path: `/v1/organizations/${t.org}`, body: { metadata: { n: uid('m') } } }),
      allow: ADMIN,
    },
    'DELETE /v1/organizations/{id}': {
      req: async () => ({
        method: 'DELETE',
        path: `/v1/organizations/${(await admin('POST', '/v1/organizations', { organization_alias: uid('gone') })).id}`,
      }),
      allow: ADMIN,
    },
    'POST /v1/organizations/{id}/members': {
      req: (t) => ({
        method: 'POST',
        path: `/v1/organizations/${t.org}/members`,
        body: { user_id: t.user, role: 'member' },
      }),
      allow: ORG_MEMBERS,
    },
    'DELETE /v1/organizations/{id}/members/{user_id}': {
      req: async (t) => ({ method: 'DELETE', path: `/v1/organizations/${t.org}/members/${await freshOrgMember(t)}` }),
      allow: ORG_MEMBERS,
    },
    'GET /team/info': { req: (t) => ({ method: 'GET', path: `/team/info?team_id=${t.team}` }), allow: TEAM_READ },
    'GET /team/list': { req: () => ({ method: 'GET', path: '/team/list' }), allow: EVERYONE },
    'POST /team/delete': {
      req: async (t) => ({
        method: 'POST',
        path: '/team/delete',
        body: { team_ids: [await freshTeam(t === targets.A ? 'A' : 'B')] },
      }),
      allow: TEAM_WRITE,
    },
    'POST /team/member_add': {
      req: (t) => ({
        method: 'POST',
        path: '/team/member_add',
        body: { team_id: t.team, member: { user_id: t.user, role: 'user' } },
      }),
      allow: TEAM_MANAGE,
    },
    'POST /team/member_delete': {
      req: async (t) => ({
        method: 'POST',
        path: '/team/member_delete',
        body: { team_id: t.team, user_id: await freshMember(t) },
      }),
      allow: TEAM_MANAGE,
    },
    'POST /team/member_update': {
      req: (t) => ({
        method: 'POST',
        path: '/team/member_update',
        body: { team_id: t.team, user_id: t.user, role: 'user' },
      }),
      allow: TEAM_MANAGE,
    },
    'POST /user/new': {
      req: () => ({ method: 'POST', path: '/user/new', body: { user_id: uid('u'), auto_create_key: false } }),
      allow: ADMIN,
    },
    'GET /user/info': { req: (t) => ({ method: 'GET', path: `/user/info?user_id=${t.user}` }), allow: USER_READ },
    'POST /user/update': {
      req: (t) => ({ method: 'POST', path: '/user/update', body: { user_id: t.user, metadata: { n: uid('m') } } }),
      allow: ADMIN,
    },
    'POST /user/delete': {
      req: async (t) => ({ method: 'POST', path: '/user/delete', body: { user_ids: [await freshOrgMember(t)] } }),
      allow: ADMIN,
    },
    'POST /organization/new': {
      req: () => ({ method: 'POST', path: '/organization/new', body: { organization_alias: uid('o') } }),
      allow: ADMIN,
    },
    'PATCH /organization/update': {
      req: (t) => ({
        method: 'PATCH',
        path: '/organization/update',
        body: { organization_id: t.org, metadata: { n: uid('m') } },
      }),
      allow: ADMIN,
    },
    'GET /organization/info': {
      req: (t) => ({ method: 'GET', path: `/organization/info?organization_id=${t.org}` }),
      allow: ORG_READ,
    },
    'GET /organization/list': { req: () => ({ method: 'GET', path: '/organization/list' }), allow: EVERYONE },
    'POST /organization/member_add': {
      req: (t) => ({
        method: 'POST',
        path: '/organization/member_add',
        body: { organization_id: t.org, member: { user_id: t.user, role: 'internal_user' } },
      }),
      allow: ORG_MEMBERS,
    },
    'POST /organization/member_delete': {
      req: async (t) => ({
        method: 'POST',
        path: '/organization/member_delete',
        body: { organization_id: t.org, user_id: await freshOrgMember(t) },
      }),
      allow: ORG_MEMBERS,
    },
  };

  beforeAll(async () => {
    stack = await startStack({
      services: ['admin'],
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: http://127.0.0.1:9, api_key: sk-unused }
`,
    });
    const orgO = (await admin('POST', '/v1/organizations', { organization_alias: 'O' })).id;
    const orgP = (await admin('POST', '/v1/organizations', { organization_alias: 'P' })).id;
    const teamA = (await admin('POST', '/v1/teams', { team_alias: 'A', organization_id: orgO })).id;
    const teamB = (await admin('POST', '/v1/teams', { team_alias: 'B', organization_id: orgP })).id;
    for (const role of ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const)
      userIds[role] = await newUser({ user_role: role });
    userIds.team_admin = await newUser();
    userIds.team_user = await newUser();
    userIds.org_admin = await newUser();
    await admin('POST', `/v1/teams/${teamA}/members`, { user_id: userIds.team_admin, role: 'admin' });
    await admin('POST', `/v1/teams/${teamA}/members`, { user_id: userIds.team_user, role: 'user' });
    await admin('POST', `/v1/organizations/${orgO}/members`, { user_id: userIds.org_admin, role: 'org_admin' });
    const userA = await newUser({ organization_id: orgO, teams: [teamA] });
    const userB = await newUser({ organization_id: orgP, teams: [teamB] });
    targets.A = { team: teamA, org: orgO, key: (await admin('POST', '/v1/keys', { team_id: teamA })).id, user: userA };
    targets.B = { team: teamB, org: orgP, key: (await admin('POST', '/v1/keys', { team_id: teamB })).id, user: userB };
    endUser = uid('customer');
    await admin('POST', '/v1/end-users', { user_id: endUser });

    keys.master = stack.masterKey;
    for (const role of ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const)
      keys[role] = await keyFor(userIds[role]!);
    keys.team_admin_on_A = keys.team_admin_on_B = await keyFor(userIds.team_admin!);
    keys.team_user = await keyFor(userIds.team_user!);
    keys.org_admin = await keyFor(userIds.org_admin!);
    keys.no_key = null;
    keys.unknown_key = `sk-sy-${randomBytes(20).toString('hex')}`;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('has a row for every route in the OpenAPI document, and none that it lacks', async () => {
    const doc = (await call(null, { method: 'GET', path: '/docs-json' })).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.length).toBeGreaterThan(50);
    const undecided = documented.filter((r) => !PUBLIC.has(r) && !(r in ROUTES));
    expect(undecided, 'routes without a row in this table (decide their policy and add one)').toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !documented.includes(r))).toEqual([]);
  });

  for (const [route, spec] of Object.entries(ROUTES)) {
    it(route, async () => {
      const outcome: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const role of ROLES) {
        const req = await spec.req(role === 'team_admin_on_B' ? targets.B : targets.A);
        const r = await call(keys[role], req);
        const shouldPass = spec.allow.includes(role);
        expected[role] = role === 'no_key' || role === 'unknown_key' ? '401' : shouldPass ? '2xx' : '403';
        outcome[role] =
          r.status >= 200 && r.status < 300
            ? '2xx'
            : r.status === 403 && r.json?.error?.type === 'permission_error'
              ? '403'
              : r.status === 401 && r.json?.error?.code === 'invalid_api_key'
                ? '401'
                : `${r.status} ${JSON.stringify(r.json).slice(0, 300)}`;
      }
      expect(outcome).toEqual(expected);
    });
  }
});
