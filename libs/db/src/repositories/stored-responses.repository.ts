import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DB } from '../db.token';
import type { Database } from '../database.types';

/** A stored Responses API response: what its request put in (input items) and the Response object. */
export interface StoredResponse {
  id: string;
  owner: string;
  input: unknown[];
  response: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
}

/** The stored_responses table; rows past expires_at are never returned, whoever asks. */
@Injectable()
export class StoredResponsesRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /** Keeps one response; a second write of the same id (a redelivered answer) keeps the first. */
  async insert(r: { id: string; owner: string; input: unknown[]; response: Record<string, unknown>; expiresAt: Date }) {
    await this.db
      .insertInto('stored_responses')
      .values({
        id: r.id,
        owner: r.owner,
        model: String(r.response['model'] ?? ''),
        status: String(r.response['status'] ?? ''),
        input: JSON.stringify(r.input),
        response: JSON.stringify(r.response),
        expires_at: r.expiresAt,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** The owner's unexpired response with this id, if any. */
  async find(id: string, owner: string, now = new Date()): Promise<StoredResponse | undefined> {
    const row = await this.db
      .selectFrom('stored_responses')
      .select(['id', 'owner', 'input', 'response', 'created_at', 'expires_at'])
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      owner: row.owner,
      input: row.input,
      response: row.response,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /** Deletes the owner's response; false when there was none (or it had expired). */
  async delete(id: string, owner: string, now = new Date()): Promise<boolean> {
    const r = await this.db
      .deleteFrom('stored_responses')
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** Deletes up to `limit` expired rows; returns how many. */
  async deleteExpired(now: Date, limit: number): Promise<number> {
    const r = await this.db
      .deleteFrom('stored_responses')
      .where(
        'id',
        'in',
        this.db.selectFrom('stored_responses').select('id').where('expires_at', '<=', now).limit(limit),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
