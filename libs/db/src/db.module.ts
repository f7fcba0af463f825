import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { ENV, type Env } from '@switchyard/config';
import { createDb } from './create-db';
import type { Database } from './database.types';
import { DB } from './db.token';
import { AuditRepository } from './repositories/audit.repository';
import { KeysRepository } from './repositories/keys.repository';
import { SpendRepository } from './repositories/spend.repository';
import { TeamsRepository } from './repositories/teams.repository';
import { UnitOfWork } from './unit-of-work';

const repositories = [TeamsRepository, KeysRepository, SpendRepository, AuditRepository, UnitOfWork];

/** Provides DB (Kysely<Database> on DATABASE_URL), the repositories and UnitOfWork; closes the pool on shutdown. */
@Global()
@Module({
  providers: [{ provide: DB, useFactory: (env: Env) => createDb(env.DATABASE_URL), inject: [ENV] }, ...repositories],
  exports: [DB, ...repositories],
})
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
