import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAnalyticsClient } from '@switchyard/analytics';
import type { Stack } from './stack';
import { waitFor } from './wait-for';

/** What end-to-end tests do against a running stack again and again: keys, usage rows, secrets in logs. */

/** POSTs to the admin API with the master key; the status and the JSON answer. */
export async function adminPost<T = Record<string, unknown>>(
  stack: Pick<Stack, 'adminUrl' | 'masterKey'>,
  path: string,
  body: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${stack.adminUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function created<T>(stack: Pick<Stack, 'adminUrl' | 'masterKey'>, path: string, body: unknown): Promise<T> {
  const { status, json } = await adminPost<T>(stack, path, body);
  if (status !== 201) throw new Error(`POST ${path} answered ${status}, not 201: ${JSON.stringify(json)}`);
  return json;
}

/**
 * A virtual key made through the admin API, in a team of its own unless `team` is null (or `body` names
 * one): `body` is the key's (models, budgets...), `team` the team's.
 */
export async function newKey(
  stack: Pick<Stack, 'adminUrl' | 'masterKey'>,
  body: Record<string, unknown> = {},
  team: Record<string, unknown> | null = {},
): Promise<{ id: string; key: string }> {
  let teamId: string | undefined;
  if (team !== null && body['team_id'] === undefined) {
    const t = await created<{ id: string }>(stack, '/v1/teams', {
      team_alias: `team-${Math.random().toString(36).slice(2, 8)}`,
      ...team,
    });
    teamId = t.id;
  }
  const key = await created<{ id: string; key: string }>(stack, '/v1/keys', {
    ...(teamId !== undefined && { team_id: teamId }),
    ...body,
  });
  if (!/^sk-/.test(key.key))
    throw new Error(`The admin API made a key that does not start with sk-: ${key.key.slice(0, 3)}…`);
  return { id: key.id, key: key.key };
}

export interface UsageQuery<T> {
  /** The columns (or aggregates) to select. */
  select: string;
  /** The filter, as ClickHouse SQL over the usage table (values are the test's own, never a client's). */
  where: string;
  orderBy?: string;
  /** Rows that satisfy the wait (default: at least one). */
  until?: (rows: T[]) => boolean;
  what?: string;
  timeoutMs?: number;
}

/** Polls the stack's ClickHouse usage table (FINAL) until `until` holds for what it finds; those rows. */
export async function waitForUsageRows<T = Record<string, string>>(
  stack: Pick<Stack, 'clickhouse'>,
  q: UsageQuery<T>,
): Promise<T[]> {
  const ch = createAnalyticsClient({ url: stack.clickhouse.url });
  try {
    return await waitFor(
      async () => {
        const r = await ch.query({
          query: `SELECT ${q.select} FROM ${stack.clickhouse.database}.usage FINAL WHERE ${q.where}${q.orderBy ? ` ORDER BY ${q.orderBy}` : ''}`,
          format: 'JSONEachRow',
        });
        const rows = (await r.json()) as T[];
        return (q.until ?? ((found) => found.length > 0))(rows) ? rows : undefined;
      },
      { timeoutMs: q.timeoutMs ?? 20_000, what: q.what ?? `usage rows where ${q.where}` },
    );
  } finally {
    await ch.close();
  }
}

/** The first usage row matching `where`, once there is one. */
export async function waitForUsageRow<T = Record<string, string>>(
  stack: Pick<Stack, 'clickhouse'>,
  q: Omit<UsageQuery<T>, 'until'>,
): Promise<T> {
  return (await waitForUsageRows<T>(stack, q))[0]!;
}

/**
 * Fails when any of `secrets` stands in a service log of the stack or in one of the error bodies its
 * clients saw. The failure names the file (or the body's index) and the secret's first characters only.
 */
export function expectNoSecretsInLogs(
  stack: Pick<Stack, 'logDir'>,
  secrets: Iterable<string>,
  errorBodies: readonly string[] = [],
): void {
  const logs = readdirSync(stack.logDir).map((f) => [f, readFileSync(join(stack.logDir, f), 'utf8')] as const);
  if (logs.every(([, text]) => text.length === 0)) throw new Error(`The stack wrote no logs in ${stack.logDir}.`);
  const found: string[] = [];
  for (const s of secrets) {
    if (s.length === 0) continue;
    for (const [file, text] of logs) if (text.includes(s)) found.push(`${file} holds ${s.slice(0, 8)}…`);
    errorBodies.forEach((body, i) => {
      if (body.includes(s)) found.push(`error body #${i} holds ${s.slice(0, 8)}…`);
    });
  }
  if (found.length > 0) throw new Error(`Secrets leaked: ${found.join('; ')}`);
}

/** What a client read of a stream before it ended: its text, the last finish_reason, and how it ended. */
export interface DrainedStream {
  /** The first choice's content, joined. */
  text: string;
  /** The first choice's last finish_reason; null when no chunk carried one. */
  finish: string | null;
  /** What the iteration threw (the SDK raises an in-stream error), or undefined when it ended normally. */
  error: unknown;
}

/** Reads a chat completion stream (the openai SDK's) to its end without throwing: what a client saw. */
export async function drainStream(
  stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }> }>,
): Promise<DrainedStream> {
  const seen: DrainedStream = { text: '', finish: null, error: undefined };
  try {
    for await (const chunk of stream) {
      seen.text += chunk.choices[0]?.delta?.content ?? '';
      seen.finish = chunk.choices[0]?.finish_reason ?? seen.finish;
    }
  } catch (e) {
    seen.error = e;
  }
  return seen;
}
