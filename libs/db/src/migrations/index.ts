import type { Migration } from 'kysely';
import * as m20250601120000 from './20250601120000-initial';
import * as m20261124120000 from './20261124120000-tenancy';
import * as m20261125010000 from './20261125010000-audit-diff';
import * as m20261125110000 from './20261125110000-stored-responses';
import * as m20261125100000 from './20261125100000-budgets-and-rotation';

/**
 * Every migration, imported statically so they run the same from source (vitest) and from dist.
 * Names sort by their timestamp; add a new file and one line here, never edit an applied migration.
 */
export const migrations: Record<string, Migration> = {
  '20250601120000-initial': m20250601120000,
  '20261124120000-tenancy': m20261124120000,
  '20261125010000-audit-diff': m20261125010000,
  '20261125110000-stored-responses': m20261125110000,
  '20261125100000-budgets-and-rotation': m20261125100000,
};
