import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DB } from './db.token';
import type { Database } from './database.types';

/** Postgres aborts one side of a deadlock (40P01) or a serialization conflict (40001); rerunning it is safe. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs a piece of work in one Postgres transaction. Repositories take the transaction as their last
 * argument; the service decides what belongs together and what is locked.
 */
@Injectable()
export class UnitOfWork {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  async run<T>(work: (trx: Transaction<Database>) => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(work);
      } catch (e) {
        const code = (e as { code?: unknown })?.code;
        if (attempt >= attempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw e;
      }
    }
  }
}
