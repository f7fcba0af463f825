import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { CONFIG, ENV, resolveMasterKey, type Env, type SwitchyardConfig } from '@switchyard/config';
import { createDb } from './create-db';
import type { Database } from './database.types';
import { DB } from './db.token';
import { AuditRepository } from './repositories/audit.repository';
import { BudgetsRepository } from './repositories/budgets.repository';
import { EndUsersRepository } from './repositories/end-users.repository';
import { KeysRepository } from './repositories/keys.repository';
import { SpendRepository } from './repositories/spend.repository';
import { StoredResponsesRepository } from './repositories/stored-responses.repository';
import { TeamsRepository } from './repositories/teams.repository';
import { UsersRepository } from './repositories/users.repository';
import { OrganizationsRepository } from './repositories/organizations.repository';
import { ReusableBudgetsRepository } from './repositories/reusable-budgets.repository';
import { KeyHasher, keyHashSecret } from './key-secret';
import { UnitOfWork } from './unit-of-work';

const repositories = [
  TeamsRepository,
  KeysRepository,
  SpendRepository,
  AuditRepository,
  EndUsersRepository,
  BudgetsRepository,
  UsersRepository,
  OrganizationsRepository,
  StoredResponsesRepository,
  ReusableBudgetsRepository,
  UnitOfWork,
];

/** Provides DB (Kysely<Database> on DATABASE_URL), the repositories and UnitOfWork; closes the pool on shutdown. */
@Global()
@Module({
  providers: [
    { provide: DB, useFactory: (env: Env) => createDb(env.DATABASE_URL), inject: [ENV] },
    {
      provide: KeyHasher,
      // The same master key main.ts's listen policy judged (SWITCHYARD_MASTER_KEY, the config's, or the demo key).
      useFactory: (env: Env, config: SwitchyardConfig) =>
        new KeyHasher(
          keyHashSecret(env.SWITCHYARD_KEY_HASH_SECRET, resolveMasterKey(config.masterKeySetting, process.env).value),
        ),
      inject: [ENV, CONFIG],
    },
    ...repositories,
  ],
  exports: [DB, KeyHasher, ...repositories],
})
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
