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
  let budget = '';

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
  const freshBudget = async () => (await admin('POST', '/v1/budgets', { max_budget: 1 })).budget_id as string;

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
    'POST /v1/keys/{id}/regenerate': {
      req: async (t) => ({ method: 'POST', path: `/v1/keys/${await freshKey(t)}/regenerate` }),
      allow: TEAM_MANAGE,
    },
    'POST /key/regenerate': {
      req: async (t) => ({ method: 'POST', path: '/key/regenerate', body: { key: await freshKey(t) } }),
      allow: TEAM_MANAGE,
    },
    'POST /key/{key}/regenerate': {
      req: async (t) => ({ method: 'POST', path: `/key/${await freshKey(t)}/regenerate` }),
      allow: TEAM_MANAGE,
    },
    'GET /key/list': { req: () => ({ method: 'GET', path: '/key/list' }), allow: READERS },
    'POST /v1/budgets': { req: () => ({ method: 'POST', path: '/v1/budgets', body: { max_budget: 5 } }), allow: ADMIN },
    'GET /v1/budgets': { req: () => ({ method: 'GET', path: '/v1/budgets' }), allow: READERS },
    'GET /v1/budgets/{id}': { req: () => ({ method: 'GET', path: `/v1/budgets/${budget}` }), allow: READERS },
    'PATCH /v1/budgets/{id}': {
      req: () => ({ method: 'PATCH', path: `/v1/budgets/${budget}`, body: { rpm_limit: 100 } }),
      allow: ADMIN,
    },
    'DELETE /v1/budgets/{id}': {
      req: async () => ({ method: 'DELETE', path: `/v1/budgets/${await freshBudget()}` }),
      allow: ADMIN,
    },
    'POST /budget/new': { req: () => ({ method: 'POST', path: '/budget/new', body: { max_budget: 5 } }), allow: ADMIN },
    'POST /budget/update': {
      req: () => ({ method: 'POST', path: '/budget/update', body: { budget_id: budget, tpm_limit: 1000 } }),
      allow: ADMIN,
    },
    'POST /budget/info': {
      req: () => ({ method: 'POST', path: '/budget/info', body: { budgets: [budget] } }),
      allow: READERS,
    },
    'GET /budget/list': { req: () => ({ method: 'GET', path: '/budget/list' }), allow: READERS },
    'POST /budget/delete': {
      req: async () => ({ method: 'POST', path: '/budget/delete', body: { id: await freshBudget() } }),
      allow: ADMIN,
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
    budget = (await admin('POST', '/v1/budgets', { max_budget: 10 })).budget_id as string;

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
    // Each documents the policy its @Access declares.
    const withoutPolicy = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([m, op]) => !PUBLIC.has(`${m.toUpperCase()} ${path}`) && !(op as Json)['x-switchyard-access'])
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(withoutPolicy).toEqual([]);
    const undecided = documented.filter((r) => !PUBLIC.has(r) && !(r in ROUTES));
    expect(undecided, 'routes without a row in this table (decide their policy and add one)').toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !documented.includes(r))).toEqual([]);
  });

  it("an internal user makes, reads, changes and deletes keys of their own, and no one else's; a viewer only reads", async () => {
    const me = userIds.internal_user!;
    const mine = await call(keys.internal_user, { method: 'POST', path: '/key/generate', body: { user_id: me } });
    expect(mine.status).toBe(200);
    expect(mine.json).toMatchObject({ user_id: me, key: expect.stringMatching(/^sk-sy-/) });
    const own = (path: string, method = 'GET', body?: unknown) => call(keys.internal_user, { method, path, body });
    expect((await own(`/v1/keys/${mine.json.id}`)).status).toBe(200);
    expect((await own(`/key/info?key=${mine.json.key}`)).status).toBe(200);
    expect((await own(`/v1/keys/${mine.json.id}`, 'PATCH', { key_alias: 'mine' })).json.key_alias).toBe('mine');
    // Not for someone else, and not in a team they do not belong to.
    const forOther = await own('/v1/keys', 'POST', { user_id: userIds.team_user });
    expect(forOther.status).toBe(403);
    expect(forOther.json.error).toMatchObject({ type: 'permission_error', code: null });
    expect(forOther.json.error.message).toContain('internal_user');
    expect((await own('/v1/keys', 'POST', { user_id: me, team_id: targets.A.team })).status).toBe(403);
    // A team member makes keys for themselves in their team.
    const inTeam = await call(keys.team_user, {
      method: 'POST',
      path: '/v1/keys',
      body: { user_id: userIds.team_user, team_id: targets.A.team },
    });
    expect(inTeam.status).toBe(201);
    expect((await own('/key/delete', 'POST', { keys: [mine.json.id] })).status).toBe(200);
    // A key acts with its user's roles: no one but a proxy admin makes one for another user.
    const borrowed = await call(keys.team_admin_on_A, {
      method: 'POST',
      path: '/key/generate',
      body: { team_id: targets.A.team, user_id: userIds.proxy_admin },
    });
    expect(borrowed.status).toBe(403);
    // An organisation admin moves its teams only into organisations it administers.
    const moved = await call(keys.org_admin, {
      method: 'PATCH',
      path: `/v1/teams/${targets.A.team}`,
      body: { organization_id: targets.B.org },
    });
    expect(moved.status).toBe(403);

    const viewer = (method: string, path: string, body?: unknown) =>
      call(keys.internal_user_viewer, { method, path, body });
    const viewers = (await admin('POST', '/v1/keys', { user_id: userIds.internal_user_viewer })).id;
    expect((await viewer('GET', `/v1/keys/${viewers}`)).status).toBe(200);
    expect((await viewer('PATCH', `/v1/keys/${viewers}`, { key_alias: 'x' })).status).toBe(403);
    expect((await viewer('POST', '/v1/keys', { user_id: userIds.internal_user_viewer })).status).toBe(403);
    expect((await viewer('GET', '/user/info')).json).toMatchObject({
      user_id: userIds.internal_user_viewer,
      user_info: { user_role: 'internal_user_viewer' },
    });
  });

  it('lists show each caller only what they may see', async () => {
    const teamsOf = async (role: Role) =>
      ((await call(keys[role], { method: 'GET', path: '/v1/teams' })).json.data as { id: string }[]).map((t) => t.id);
    expect(await teamsOf('team_user')).toEqual([targets.A.team]);
    expect(await teamsOf('internal_user')).toEqual([]);
    expect(await teamsOf('org_admin')).toContain(targets.A.team);
    expect(await teamsOf('org_admin')).not.toContain(targets.B.team);
    expect(await teamsOf('proxy_admin_viewer')).toEqual(expect.arrayContaining([targets.A.team, targets.B.team]));
    const orgs = (await call(keys.org_admin, { method: 'GET', path: '/v1/organizations' })).json;
    expect(orgs.data.map((o: { id: string }) => o.id)).toEqual([targets.A.org]);
    const users = (await call(keys.internal_user, { method: 'GET', path: '/v1/users' })).json;
    expect(users.data.map((u: { user_id: string }) => u.user_id)).toEqual([userIds.internal_user]);
    // Paged as GET /v1/audit pages: limit, then next_cursor.
    const first = (await admin('GET', '/v1/users?limit=2')) as { data: { user_id: string }[]; next_cursor: string };
    expect(first.data).toHaveLength(2);
    const second = await admin('GET', `/v1/users?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`);
    expect(second.data[0].user_id).not.toBe(first.data[0]!.user_id);
    const byRole = await admin('GET', '/v1/users?user_role=proxy_admin_viewer');
    expect(byRole.data.map((u: { user_id: string }) => u.user_id)).toEqual([userIds.proxy_admin_viewer]);
    expect((await call(stack.masterKey, { method: 'GET', path: '/v1/users?user_role=root' })).status).toBe(400);
  });

  it('keys that cannot act: a key of no user is 403, a blocked or revoked key is 401', async () => {
    const teamKey = (await admin('POST', '/v1/keys', { team_id: targets.A.team })).key;
    const r = await call(teamKey, { method: 'GET', path: '/v1/teams' });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/belongs to no user/);
    const k = await admin('POST', '/v1/keys', { user_id: userIds.proxy_admin });
    expect((await call(k.key, { method: 'GET', path: '/v1/audit' })).status).toBe(200);
    await admin('POST', `/v1/keys/${k.id}/block`);
    expect((await call(k.key, { method: 'GET', path: '/v1/audit' })).status).toBe(401);
    await admin('POST', `/v1/keys/${k.id}/unblock`);
    await admin('DELETE', `/v1/keys/${k.id}`);
    expect((await call(k.key, { method: 'GET', path: '/v1/audit' })).status).toBe(401);
  });

  it('audits every change with who made it and the entity before and after, never a secret', async () => {
    const entries = async (entity: string, id: string) =>
      (await admin('GET', `/v1/audit?entity=${entity}&entity_id=${encodeURIComponent(id)}`)).data as Json[];
    // A key made and changed by a team admin.
    const made = await call(keys.team_admin_on_A, {
      method: 'POST',
      path: '/v1/keys',
      body: { team_id: targets.A.team, key_alias: 'audited', rpm_limit: 10 },
    });
    expect(made.status).toBe(201);
    await call(keys.team_admin_on_A, { method: 'PATCH', path: `/v1/keys/${made.json.id}`, body: { rpm_limit: 20 } });
    const [updated, createdEntry] = await entries('key', made.json.id);
    expect(createdEntry).toMatchObject({
      action: 'key.created',
      actor: `user:${userIds.team_admin}`,
      before: null,
      after: { key_alias: 'audited', rpm_limit: 10, key_prefix: made.json.key_prefix },
    });
    expect(updated).toMatchObject({
      action: 'key.updated',
      actor: `user:${userIds.team_admin}`,
      before: { rpm_limit: 10 },
      after: { rpm_limit: 20 },
    });
    const log = JSON.stringify(await admin('GET', '/v1/audit?limit=1000'));
    expect(log).not.toContain(made.json.key);
    expect(log).not.toContain('key_hash');

    // A team changed by its organisation's admin, a user by the master key, a membership by a team admin.
    await call(keys.org_admin, { method: 'PATCH', path: `/v1/teams/${targets.A.team}`, body: { max_budget: 7 } });
    const [teamChange] = await entries('team', targets.A.team);
    expect(teamChange).toMatchObject({
      action: 'team.updated',
      actor: `user:${userIds.org_admin}`,
      after: { max_budget: 7 },
    });
    expect(teamChange.before.max_budget).not.toBe(7);
    const u = await newUser({ max_budget: 1 });
    await admin('PATCH', `/v1/users/${u}`, { max_budget: 2, user_role: 'internal_user_viewer' });
    const [userChange, userMade] = await entries('user', u);
    expect(userMade).toMatchObject({ action: 'user.created', actor: 'master_key', before: null });
    expect(userChange).toMatchObject({
      action: 'user.updated',
      before: { max_budget: 1, user_role: 'internal_user' },
      after: { max_budget: 2, user_role: 'internal_user_viewer' },
    });
    const member = await freshMember(targets.A);
    await call(keys.team_admin_on_A, {
      method: 'PATCH',
      path: `/v1/teams/${targets.A.team}/members/${member}`,
      body: { role: 'admin' },
    });
    const [roleChange] = await entries('team', targets.A.team);
    expect(roleChange).toMatchObject({
      action: 'team.member_updated',
      actor: `user:${userIds.team_admin}`,
      before: { user_id: member, role: 'user' },
      after: { user_id: member, role: 'admin' },
    });
    const deleted = await call(keys.proxy_admin, { method: 'DELETE', path: `/v1/users/${member}` });
    expect(deleted.status).toBe(200);
    const [userGone] = await entries('user', member);
    expect(userGone).toMatchObject({
      action: 'user.deleted',
      actor: `user:${userIds.proxy_admin}`,
      before: { user_id: member },
      after: null,
    });
  });

  it("answers LiteLLM's routes in LiteLLM's shapes", async () => {
    const org = await admin('POST', '/organization/new', {
      organization_alias: 'lite-org',
      max_budget: 5,
      rpm_limit: 9,
    });
    expect(org).toMatchObject({ organization_id: org.id, organization_alias: 'lite-org', max_budget: 5, rpm_limit: 9 });
    const user = await admin('POST', '/user/new', { user_email: 'lite@example.com', user_role: 'internal_user' });
    expect(user).toMatchObject({ user_email: 'lite@example.com', user_role: 'internal_user', key: expect.any(String) });
    const team = await admin('POST', '/team/new', { team_alias: 'lite-team', organization_id: org.id });
    const added = await admin('POST', '/team/member_add', {
      team_id: team.team_id,
      member: [
        { role: 'admin', user_id: user.user_id },
        { role: 'user', user_email: 'newcomer@example.com' },
      ],
    });
    expect(added.team_id).toBe(team.team_id);
    expect(added.members_with_roles).toEqual([
      { user_id: user.user_id, user_email: 'lite@example.com', role: 'admin' },
      { user_id: expect.any(String), user_email: 'newcomer@example.com', role: 'user' },
    ]);
    expect(added.updated_users).toHaveLength(2);
    expect(added.updated_team_memberships.map((m: { role: string }) => m.role)).toEqual(['admin', 'user']);
    const info = await admin('GET', `/team/info?team_id=${team.team_id}`);
    expect(info).toMatchObject({
      team_id: team.team_id,
      team_info: { team_alias: 'lite-team', organization_id: org.id },
    });
    expect(info.team_memberships).toHaveLength(2);
    const userInfo = await admin('GET', `/user/info?user_id=${user.user_id}`);
    expect(userInfo.user_info.teams).toEqual([{ team_id: team.team_id, role: 'admin' }]);
    expect(userInfo.keys.map((k: { id: string }) => k.id)).toEqual([user.key_id]);
    expect(userInfo.teams.map((t: { id: string }) => t.id)).toEqual([team.team_id]);
    const orgMember = await admin('POST', '/organization/member_add', {
      organization_id: org.id,
      member: { user_id: user.user_id, role: 'org_admin' },
    });
    expect(orgMember.updated_organization_memberships).toEqual([
      { organization_id: org.id, user_id: user.user_id, user_role: 'org_admin' },
    ]);
    const orgInfo = await admin('GET', `/organization/info?organization_id=${org.id}`);
    expect(orgInfo.teams.map((t: { id: string }) => t.id)).toEqual([team.team_id]);
    expect(orgInfo.members).toEqual([{ user_id: user.user_id, role: 'org_admin', created_at: expect.any(String) }]);
    expect((await admin('GET', '/organization/list')).map((o: { id: string }) => o.id)).toContain(org.id);
    expect(
      (await admin('POST', '/team/member_delete', { team_id: team.team_id, user_email: 'newcomer@example.com' }))
        .members_with_roles,
    ).toHaveLength(1);
    // Unknown fields from LiteLLM clients are ignored; bad known ones are a 400 naming them.
    const bad = await call(stack.masterKey, {
      method: 'POST',
      path: '/user/update',
      body: { user_id: user.user_id, rpm_limit: -1, spend: 3 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('rpm_limit');
    expect((await admin('POST', '/user/delete', { user_ids: [user.user_id] })).deleted_users).toEqual([user.user_id]);
    expect((await call(user.key, { method: 'GET', path: '/user/info' })).status).toBe(401);
    expect((await call(stack.masterKey, { method: 'DELETE', path: `/v1/organizations/${org.id}` })).status).toBe(409);
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
