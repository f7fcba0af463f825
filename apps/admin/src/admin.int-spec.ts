import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { waitFor } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAnalyticsClient,
  insertUsageRows,
  migrateAnalytics,
  usageRowFromEvent,
  type ClickHouseClient,
} from '@switchyard/analytics';
import { KeyChangedEventSchema, UsageRecordedEventSchema, subjects, type KeyChangedEvent } from '@switchyard/contracts';
import { KeyHasher, keyHashSecret, migrateDatabase } from '@switchyard/db';

const ROOT = resolve(__dirname, '../../..');
const MAIN = resolve(ROOT, 'dist/apps/admin/src/main.js');
const PG_BASE = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const MAX_BODY = 64 * 1024;

const suffix = randomBytes(5).toString('hex');
const dbName = `sy_test_admin_${suffix}`;
const databaseUrl = Object.assign(new URL(PG_BASE), { pathname: `/${dbName}` }).toString();
const chDatabase = `sy_test_admin_${suffix}`;
const natsPrefix = `sytestadmin${suffix}`;
const masterKey = `sk-master-${randomBytes(12).toString('hex')}`;
/** How the admin stores a key: HMAC under the secret derived from the master key (no SWITCHYARD_KEY_HASH_SECRET here). */
const keyHash = (secret: string) => new KeyHasher(keyHashSecret(undefined, masterKey)).hash(secret);

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Polls with the shared waitFor, keeping this file's own default deadline. */
const until = <T>(what: string, probe: () => Promise<T>, timeoutMs = 15_000) => waitFor(probe, { what, timeoutMs });

describe('admin service (built, against Postgres, ClickHouse and NATS)', () => {
  let child: ChildProcess;
  let output = '';
  let base = '';
  let pg: Client;
  let ch: ClickHouseClient;
  let nc: NatsConnection;
  const keyEvents: KeyChangedEvent[] = [];

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    opts: { auth?: string | null; raw?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    const auth = opts.auth === undefined ? masterKey : opts.auth;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    let payload: string | undefined;
    if (opts.raw !== undefined || body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = opts.raw ?? JSON.stringify(body);
    }
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" before this test.`);
    await migrateDatabase(databaseUrl);
    await migrateAnalytics({ url: CLICKHOUSE_URL, database: chDatabase });
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    ch = createAnalyticsClient({ url: CLICKHOUSE_URL });
    nc = await connect({ servers: NATS_URL });
    nc.subscribe(subjects(natsPrefix).keyChanged, {
      callback: (err, msg) => {
        if (!err) keyEvents.push(KeyChangedEventSchema.parse(msg.json()));
      },
    });
    await nc.flush();

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: databaseUrl,
      CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: chDatabase,
      NATS_URL,
      SWITCHYARD_NATS_PREFIX: natsPrefix,
      SWITCHYARD_MASTER_KEY: masterKey,
      SWITCHYARD_MAX_BODY_BYTES: String(MAX_BODY),
      ADMIN_PORT: String(port),
      ADMIN_HOST: '127.0.0.1',
    };
    child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    try {
      await until('admin /health', async () => {
        if (child.exitCode !== null) throw new Error(`admin exited with ${child.exitCode}`);
        const r = await fetch(`${base}/health`);
        return r.status === 200 ? true : undefined;
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- admin output ---\n${output.slice(-4000)}`);
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await nc?.close();
    await pg?.end();
    if (ch) {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${chDatabase}` });
      await ch.close();
    }
    const admin = new Client({ connectionString: PG_BASE });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('reports healthy and never logs the master key', async () => {
    const r = await api('GET', '/health', undefined, { auth: null });
    expect(r).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(output).toContain('admin ready');
    expect(output).not.toContain(masterKey);
  });

  it('rejects missing or wrong master keys with 401 envelopes', async () => {
    for (const auth of [null, 'sk-wrong', masterKey + 'x']) {
      for (const [method, path] of [
        ['GET', '/v1/teams'],
        ['POST', '/v1/keys'],
        ['GET', '/v1/spend'],
      ] as const) {
        const r = await api(method, path, method === 'POST' ? {} : undefined, { auth });
        expect(r.status).toBe(401);
        expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
        expect(typeof r.json.error.message).toBe('string');
      }
    }
  });

  it('serves a valid OpenAPI document and Swagger UI without the master key', async () => {
    const doc = await api('GET', '/docs-json', undefined, { auth: null });
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining(['/v1/teams', '/v1/teams/{id}', '/v1/keys', '/v1/keys/{id}', '/v1/spend', '/health']),
    );
    const createKey = doc.json.paths['/v1/keys'].post;
    expect(createKey.requestBody.content['application/json'].schema.properties).toHaveProperty('duration');
    expect(createKey.responses['201'].content['application/json'].schema.properties).toHaveProperty('key');
    const ui = await fetch(`${base}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('creates, lists, gets and deletes teams; money in USD', async () => {
    const created = await api('POST', '/v1/teams', {
      team_alias: 'eng',
      max_budget: 12.5,
      models: ['gpt-4o'],
      metadata: { cc: 42 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      team_alias: 'eng',
      max_budget: 12.5,
      spend: 0,
      models: ['gpt-4o'],
      metadata: { cc: 42 },
    });
    const id = created.json.id as string;
    const row = await pg.query('select max_budget_nanos from teams where id = $1', [id]);
    expect(row.rows[0].max_budget_nanos).toBe('12500000000');
    expect((await api('GET', `/v1/teams/${id}`)).json).toEqual(created.json);
    expect((await api('GET', '/v1/teams')).json.data.map((t: { id: string }) => t.id)).toContain(id);

    const key = await api('POST', '/v1/keys', { team_id: id });
    expect(key.status).toBe(201);
    keyEvents.length = 0;
    const del = await api('DELETE', `/v1/teams/${id}`);
    expect(del).toMatchObject({ status: 200, json: { id, deleted: true, revoked_keys: 1 } });
    expect((await api('GET', `/v1/teams/${id}`)).status).toBe(404);
    expect((await api('GET', `/v1/keys/${key.json.id}`)).json.revoked_at).not.toBeNull();
    const event = await until('KeyChanged for the team key', async () =>
      keyEvents.find((e) => e.keyId === key.json.id),
    );
    expect(event).toEqual({
      keyId: key.json.id,
      keyHash: keyHash(key.json.key),
      reason: 'revoked',
    });
  });

  it('returns 404 for unknown and non-uuid ids', async () => {
    for (const path of [
      `/v1/teams/${randomUUID()}`,
      '/v1/teams/not-a-uuid',
      `/v1/keys/${randomUUID()}`,
      '/v1/keys/1',
      '/v1/nope',
    ]) {
      const get = await api('GET', path);
      expect(get.status, path).toBe(404);
      expect(get.json.error.code).toBe('not_found');
    }
    expect((await api('DELETE', `/v1/keys/${randomUUID()}`)).status).toBe(404);
    expect((await api('DELETE', '/v1/teams/zzz')).status).toBe(404);
  });

  it('issues the secret once and stores only its hash', async () => {
    const team = (await api('POST', '/v1/teams', { team_alias: 'k' })).json;
    const created = await api('POST', '/v1/keys', {
      team_id: team.id,
      models: ['gpt-4o-mini'],
      max_budget: 2,
      key_alias: 'ci',
      duration: '12h',
      metadata: { owner: 'ci' },
    });
    expect(created.status).toBe(201);
    const secret = created.json.key as string;
    expect(secret).toMatch(/^sk-sy-[A-Za-z0-9]{40}$/);
    expect(created.json).toMatchObject({
      team_id: team.id,
      models: ['gpt-4o-mini'],
      max_budget: 2,
      spend: 0,
      key_alias: 'ci',
      metadata: { owner: 'ci' },
      revoked_at: null,
      key_prefix: `${secret.slice(0, 8)}...${secret.slice(-4)}`,
    });
    const hoursLeft = (Date.parse(created.json.expires_at) - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(11.9);
    expect(hoursLeft).toBeLessThanOrEqual(12);

    const fetched = await api('GET', `/v1/keys/${created.json.id}`);
    const listed = await api('GET', `/v1/keys?team_id=${team.id}`);
    const all = await api('GET', '/v1/keys');
    for (const r of [fetched, listed, all]) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(createHash('sha256').update(secret).digest('hex'));
      expect(r.text).not.toContain('"key"');
    }
    expect(listed.json.data).toHaveLength(1);
    expect(all.json.data.length).toBeGreaterThanOrEqual(1);
    expect((await api('GET', `/v1/keys?team_id=${randomUUID()}`)).json.data).toEqual([]);

    const rows = await pg.query('select * from api_keys');
    expect(JSON.stringify(rows.rows)).not.toContain(secret);
    expect(JSON.stringify(rows.rows)).not.toContain(secret.slice(6, 30));
    const mine = rows.rows.find((r) => r.id === created.json.id);
    expect(mine.key_hash).toBe(keyHash(secret));
    expect(mine.key_hash).not.toBe(createHash('sha256').update(secret).digest('hex'));
    const audit = await pg.query('select * from audit_log');
    expect(JSON.stringify(audit.rows)).not.toContain(secret);
    expect(output).not.toContain(secret);
  });

  it('revoking a key publishes KeyChanged on NATS and writes the audit log', async () => {
    const created = (await api('POST', '/v1/keys', {})).json;
    keyEvents.length = 0;
    const revoked = await api('DELETE', `/v1/keys/${created.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).not.toBeNull();
    expect(revoked.json).not.toHaveProperty('key');
    const event = await until('KeyChanged', async () => keyEvents.find((e) => e.keyId === created.id), 1000);
    expect(event).toEqual({
      keyId: created.id,
      keyHash: keyHash(created.key),
      reason: 'revoked',
    });
    const audit = await pg.query(
      "select action, actor from audit_log where entity = 'key' and entity_id = $1 order by at",
      [created.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['key.created', 'key.revoked']);
  });

  it('reads the audit log newest first, a page at a time, filtered, without secrets', async () => {
    const created = (await api('POST', '/v1/keys', { key_alias: 'audited' })).json;
    await api('DELETE', `/v1/keys/${created.id}`);
    const all = await api('GET', `/v1/audit?entity=key&entity_id=${created.id}`);
    expect(all.status).toBe(200);
    expect(all.json.data.map((e: { action: string }) => e.action)).toEqual(['key.revoked', 'key.created']);
    expect(all.json.data[1]).toMatchObject({ actor: 'master_key', entity: 'key', entity_id: created.id });
    expect(all.json.data[1].details).toMatchObject({ key_alias: 'audited' });
    expect(all.json.next_cursor).toBeNull();
    expect(JSON.stringify(all.json)).not.toContain(created.key);
    const first = await api('GET', `/v1/audit?entity=key&entity_id=${created.id}&limit=1`);
    expect(first.json.data.map((e: { action: string }) => e.action)).toEqual(['key.revoked']);
    const second = await api(
      'GET',
      `/v1/audit?entity=key&entity_id=${created.id}&limit=1&cursor=${first.json.next_cursor}`,
    );
    expect(second.json.data.map((e: { action: string }) => e.action)).toEqual(['key.created']);
    expect(second.json.next_cursor).toBeNull();
    const bad = await api('GET', '/v1/audit?limit=5000');
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('limit');
    expect((await api('GET', '/v1/audit?who=me')).status).toBe(400);
  });

  it('answers bad input with 4xx envelopes naming the field', async () => {
    const cases: [string, string, unknown, number, string | null][] = [
      ['POST', '/v1/teams', { max_budget: -1 }, 400, 'max_budget'],
      ['POST', '/v1/teams', { max_budget: 'ten' }, 400, 'max_budget'],
      ['POST', '/v1/teams', { models: 'gpt-4o' }, 400, 'models'],
      ['POST', '/v1/teams', { metadata: [1] }, 400, 'metadata'],
      ['POST', '/v1/teams', { colour: 'red' }, 400, 'colour'],
      ['POST', '/v1/teams', [1, 2], 400, null],
      ['POST', '/v1/keys', { team_id: randomUUID() }, 404, 'team_id'],
      ['POST', '/v1/keys', { team_id: 'x' }, 404, 'team_id'],
      ['POST', '/v1/keys', { duration: '2 weeks' }, 400, 'duration'],
      ['POST', '/v1/keys', { duration: -5 }, 400, 'duration'],
      ['POST', '/v1/keys', { duration: '1h', expires_at: new Date(Date.now() + 1e6).toISOString() }, 400, 'duration'],
      ['POST', '/v1/keys', { budget_duration: '2 weeks' }, 400, 'budget_duration'],
      ['POST', '/v1/keys', { budget_duration: '0d' }, 400, 'budget_duration'],
      ['POST', '/v1/teams', { budget_duration: 30 }, 400, 'budget_duration'],
      ['POST', '/v1/end-users', { user_id: 'bd', budget_duration: '1w' }, 400, 'budget_duration'],
      ['POST', '/v1/keys', { soft_budget: -1 }, 400, 'soft_budget'],
      ['POST', '/key/generate', { soft_budget: 'half' }, 400, 'soft_budget'],
      ['POST', '/team/new', { soft_budget: -0.5 }, 400, 'soft_budget'],
      ['POST', '/v1/keys', { expires_at: 'tomorrow' }, 400, 'expires_at'],
      ['POST', '/v1/keys', { expires_at: '2001-01-01T00:00:00Z' }, 400, 'expires_at'],
      ['POST', '/v1/keys', { models: [''] }, 400, 'models.0'],
      ['GET', '/v1/spend?group_by=user', undefined, 400, 'group_by'],
      ['GET', '/v1/spend?from=yesterday', undefined, 400, 'from'],
      ['GET', '/v1/spend?to=2025-02-30', undefined, 400, 'to'],
      ['GET', '/v1/spend?team_id=abc', undefined, 400, 'team_id'],
      // Postgres cannot store NUL; each is a 400 naming the field, not a 500 from the insert.
      ['POST', '/v1/teams', { team_alias: 'a\u0000b' }, 400, 'team_alias'],
      ['POST', '/v1/teams', { models: ['gpt\u0000'] }, 400, 'models.0'],
      ['POST', '/v1/teams', { metadata: { owner: { name: 'x\u0000' } } }, 400, 'metadata.owner.name'],
      ['POST', '/v1/teams', { metadata: { 'k\u0000': 1 } }, 400, 'metadata'],
      ['POST', '/v1/keys', { key_alias: '\u0000' }, 400, 'key_alias'],
      ['POST', '/v1/keys', { metadata: { tags: ['ok', '\u0000'] } }, 400, 'metadata.tags.1'],
      ['POST', '/key/generate', { key_alias: 'x\u0000' }, 400, 'key_alias'],
      ['POST', '/team/new', { team_alias: 'x\u0000' }, 400, 'team_alias'],
      // Outside what ClickHouse DateTime holds (1970 to 2106): 400, not a 503.
      ['GET', '/v1/spend?from=0000-01-01', undefined, 400, 'from'],
      ['GET', '/v1/spend?from=1969-12-31', undefined, 400, 'from'],
      ['GET', '/v1/spend?to=99999999999', undefined, 400, 'to'],
      ['GET', '/v1/spend?to=2106-02-08', undefined, 400, 'to'],
    ];
    for (const [method, path, body, status, param] of cases) {
      const r = await api(method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(r.json.error.param, `${method} ${path} ${JSON.stringify(body)}`).toBe(param);
      expect(r.json.error.type).toBe('invalid_request_error');
    }
    const malformed = await api('POST', '/v1/keys', undefined, { raw: '{"models": [' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('invalid_json');
    const tooLarge = await api('POST', '/v1/keys', undefined, {
      raw: JSON.stringify({ metadata: { x: 'a'.repeat(MAX_BODY) } }),
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error.type).toBe('invalid_request_error');
    const text = await fetch(`${base}/v1/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'text/plain' },
      body: 'team',
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    const badPath = await api('GET', '/v1/keys/%FF');
    expect(badPath.status).toBe(400);
    // A lone surrogate passes zod but Postgres' jsonb refuses it (SQLSTATE 22P02): still a 400, no SQL in it.
    const surrogate = await api('POST', '/v1/teams', undefined, { raw: '{"metadata":{"x":"\\ud800"}}' });
    expect(surrogate.status).toBe(400);
    expect(surrogate.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value' });
    expect(surrogate.text).not.toMatch(/insert|jsonb|teams/i);
    expect(output).not.toMatch(/ApiExceptionFilter.*failed/);
  });

  it('returns exact nano-dollar amounts as decimal strings beside the USD floats', async () => {
    const team = await api('POST', '/v1/teams', { max_budget: 0.1 });
    expect(team.json).toMatchObject({ max_budget: 0.1, max_budget_nanos: '100000000', spend: 0, spend_nanos: '0' });
    const key = await api('POST', '/v1/keys', { team_id: team.json.id });
    expect(key.json).toMatchObject({ max_budget: null, max_budget_nanos: null, spend: 0, spend_nanos: '0' });
    await pg.query(
      `update api_keys set spend_nanos = '9007199254740993', max_budget_nanos = '9007199254740995' where id = $1`,
      [key.json.id],
    );
    const fetched = await api('GET', `/v1/keys/${key.json.id}`);
    expect(fetched.json).toMatchObject({ spend_nanos: '9007199254740993', max_budget_nanos: '9007199254740995' });
    const listed = await api('GET', '/v1/teams');
    expect(listed.json.data.find((t: { id: string }) => t.id === team.json.id).spend_nanos).toBe('0');
    const doc = await api('GET', '/docs-json', undefined, { auth: null });
    const schemaOf = (path: string, method: string, status: string) =>
      doc.json.paths[path][method].responses[status].content['application/json'].schema;
    expect(schemaOf('/v1/keys/{id}', 'get', '200').properties).toHaveProperty('spend_nanos');
    expect(schemaOf('/v1/keys/{id}', 'get', '200').properties).toHaveProperty('max_budget_nanos');
    expect(schemaOf('/v1/teams/{id}', 'get', '200').properties).toHaveProperty('spend_nanos');
    expect(schemaOf('/v1/spend', 'get', '200').properties.data.items.properties).toHaveProperty('spend_nanos');
  });

  it('never leaves a live key in a team deleted while keys are being created for it', async () => {
    for (let round = 0; round < 5; round++) {
      const team = (await api('POST', '/v1/teams', { team_alias: `race-${round}` })).json;
      keyEvents.length = 0;
      // Four lanes of five back-to-back creations; the deletions go out once a few (more each round) have
      // answered, so creations land before, during and after them.
      type Reply = Awaited<ReturnType<typeof api>>;
      let answered = 0;
      let release!: () => void;
      const started = new Promise<void>((r) => (release = r));
      const threshold = 1 + round * 3;
      const lane = async (l: number): Promise<Reply[]> => {
        const replies: Reply[] = [];
        for (let i = 0; i < 5; i++) {
          replies.push(await api('POST', '/v1/keys', { team_id: team.id, key_alias: `k${l}-${i}` }));
          if (++answered === threshold) release();
        }
        return replies;
      };
      const creates = Promise.all([0, 1, 2, 3].map(lane)).then((r) => r.flat());
      await started;
      // Two deletions of the same team race too: one wins, the other sees 404 only after the winner committed.
      const deletes = Promise.all([api('DELETE', `/v1/teams/${team.id}`), api('DELETE', `/v1/teams/${team.id}`)]);
      const [created, deleted] = await Promise.all([creates, deletes]);
      for (const c of created) expect([201, 404], c.text).toContain(c.status);
      expect(deleted.map((d) => d.status).sort()).toEqual([200, 404]);
      const winner = deleted.find((d) => d.status === 200)!;
      const ok = created.filter((c) => c.status === 201).map((c) => c.json.id as string);
      for (const c of created.filter((x) => x.status === 404)) expect(c.json.error.param).toBe('team_id');

      const live = await pg.query('select id from api_keys where team_id = $1 and revoked_at is null', [team.id]);
      expect(live.rows).toEqual([]);
      const all = await pg.query('select id from api_keys where team_id = $1', [team.id]);
      expect(all.rows.map((r) => r.id).sort()).toEqual([...ok].sort());
      expect(winner.json.revoked_keys).toBe(ok.length);
      await until('KeyChanged for every revoked key', async () =>
        ok.every((id) => keyEvents.some((e) => e.keyId === id)) ? true : undefined,
      );
      expect(keyEvents.filter((e) => ok.includes(e.keyId))).toHaveLength(ok.length);
    }
  });

  it('reports spend by team and by model from ClickHouse', async () => {
    const teamA = randomUUID();
    const event = (model: string, teamId: string, promptTokens: number) =>
      UsageRecordedEventSchema.parse({
        requestId: randomUUID(),
        ts: Date.parse('2025-06-01T12:00:00Z'),
        keyId: null,
        teamId,
        requestedModel: model,
        deploymentId: null,
        provider: null,
        upstreamModel: null,
        status: 200,
        promptTokens,
        completionTokens: 5,
        latencyMs: 10,
        stream: false,
      });
    await insertUsageRows(ch, chDatabase, [
      usageRowFromEvent(event('gpt-4o', teamA, 10), 1_500_000_000n),
      usageRowFromEvent(event('gpt-4o', teamA, 20), 500_000_000n),
      usageRowFromEvent(event('claude', randomUUID(), 1), 1n),
    ]);
    const byModel = await api('GET', '/v1/spend?group_by=model&from=2025-06-01&to=2025-06-02');
    expect(byModel.status).toBe(200);
    expect(byModel.json.data).toEqual([
      { group: 'gpt-4o', spend: 2, spend_nanos: '2000000000', requests: 2, prompt_tokens: 30, completion_tokens: 10 },
      { group: 'claude', spend: 1e-9, spend_nanos: '1', requests: 1, prompt_tokens: 1, completion_tokens: 5 },
    ]);
    const byTeam = await api('GET', `/v1/spend?group_by=team&team_id=${teamA}&from=1748736000`);
    expect(byTeam.json.data).toEqual([
      { group: teamA, spend: 2, spend_nanos: '2000000000', requests: 2, prompt_tokens: 30, completion_tokens: 10 },
    ]);
    const empty = await api('GET', '/v1/spend?group_by=model&from=2025-07-01T00:00:00Z');
    expect(empty.json).toEqual({ data: [] });
  });

  it('accepts the LiteLLM-compatible aliases', async () => {
    const team = await api('POST', '/team/new', { team_alias: 'lite', max_budget: 1, tpm_limit: 10 });
    expect(team.status).toBe(200);
    expect(team.json.team_id).toBe(team.json.id);
    const gen = await api('POST', '/key/generate', { team_id: team.json.id, duration: '15m', user_id: 'ignored' });
    expect(gen.status).toBe(200);
    expect(gen.json.key).toMatch(/^sk-sy-/);
    const info = await api('GET', `/key/info?key=${gen.json.id}`);
    expect(info.json).toMatchObject({ key: gen.json.id, info: { id: gen.json.id, team_id: team.json.id } });
    keyEvents.length = 0;
    const del = await api('POST', '/key/delete', { keys: [gen.json.key] });
    expect(del).toMatchObject({ status: 200, json: { deleted_keys: [gen.json.id] } });
    await until('KeyChanged from /key/delete', async () => keyEvents.find((e) => e.keyId === gen.json.id), 1000);
  });

  it('takes budget_duration and soft_budget on keys, teams and end users (REST and LiteLLM routes)', async () => {
    const DAY = 86_400_000;
    const near = (iso: string, expected: number) => Math.abs(Date.parse(iso) - expected) < 60_000;
    const team = await api('POST', '/team/new', { team_alias: 'monthly', max_budget: 5, budget_duration: '1mo' });
    expect(team.status).toBe(200);
    const inAMonth = new Date();
    inAMonth.setUTCMonth(inAMonth.getUTCMonth() + 1);
    expect(team.json.budget_duration).toBe('1mo');
    expect(near(team.json.budget_reset_at, inAMonth.getTime())).toBe(true);

    const key = await api('POST', '/key/generate', { max_budget: 1, budget_duration: '1d' });
    expect(key.status).toBe(200);
    expect(key.json.budget_duration).toBe('1d');
    expect(near(key.json.budget_reset_at, Date.now() + DAY)).toBe(true);
    const row = await pg.query('select budget_duration, budget_reset_at from api_keys where id = $1', [key.json.id]);
    expect(row.rows[0].budget_duration).toBe('1d');
    expect(new Date(row.rows[0].budget_reset_at).toISOString()).toBe(key.json.budget_reset_at);

    const updated = await api('POST', '/key/update', { key: key.json.id, budget_duration: '7d' });
    expect(updated.status).toBe(200);
    expect(near(updated.json.budget_reset_at, Date.now() + 7 * DAY)).toBe(true);
    const cleared = await api('PATCH', `/v1/keys/${key.json.id}`, { budget_duration: null });
    expect(cleared.json).toMatchObject({ budget_duration: null, budget_reset_at: null });

    const teamUpdate = await api('POST', '/team/update', { team_id: team.json.id, budget_duration: '30s' });
    expect(teamUpdate.status).toBe(200);
    expect(near(teamUpdate.json.budget_reset_at, Date.now() + 30_000)).toBe(true);

    const soft = await api('POST', '/key/update', { key: key.json.id, soft_budget: 0.5 });
    expect(soft.json).toMatchObject({ soft_budget: 0.5, soft_budget_nanos: '500000000' });
    const softTeam = await api('POST', '/team/update', { team_id: team.json.id, soft_budget: 4 });
    expect(softTeam.json).toMatchObject({ soft_budget: 4, soft_budget_nanos: '4000000000' });
    const softRow = await pg.query('select soft_budget_nanos from teams where id = $1', [team.json.id]);
    expect(softRow.rows[0].soft_budget_nanos).toBe('4000000000');

    const customer = await api('POST', '/customer/new', {
      user_id: 'cust-bd',
      max_budget: 2,
      soft_budget: 1,
      budget_duration: '1h',
    });
    expect(customer.json).toMatchObject({ soft_budget: 1 });
    expect(customer.status).toBe(200);
    expect(customer.json.budget_duration).toBe('1h');
    expect(near(customer.json.budget_reset_at, Date.now() + 3_600_000)).toBe(true);
  });

  it('/key/delete revokes nothing when any key in the list does not exist', async () => {
    const a = (await api('POST', '/v1/keys', {})).json;
    const b = (await api('POST', '/v1/keys', {})).json;
    const unknown = randomUUID();
    for (const bad of [unknown, 'not-a-uuid', 'sk-sy-' + 'x'.repeat(40)]) {
      const r = await api('POST', '/key/delete', { keys: [a.id, b.key, bad] });
      expect(r.status, bad).toBe(404);
      expect(r.json.error).toMatchObject({ code: 'not_found', param: 'keys' });
      expect(r.text).not.toContain(b.key);
      // Only a key id (a uuid) is named back; anything else may be a pasted secret of another shape.
      if (bad === unknown) expect(r.json.error.message).toContain(bad);
      else expect(r.text).not.toContain(bad);
    }
    const rows = await pg.query('select id from api_keys where id = any($1) and revoked_at is not null', [
      [a.id, b.id],
    ]);
    expect(rows.rows).toEqual([]);
    const del = await api('POST', '/key/delete', { keys: [a.id, b.key] });
    expect(del).toMatchObject({ status: 200, json: { deleted_keys: [a.id, b.id] } });
  });
});
