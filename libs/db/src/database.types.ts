import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Postgres returns int8 as a string (it may not fit a JS number); repositories turn it into bigint.
 * Writes take a string so callers pass `value.toString()` and nothing is rounded on the way.
 */
type Int8 = ColumnType<string, string, string>;
type Int8Nullable = ColumnType<string | null, string | null | undefined, string | null>;
type Int8Defaulted = ColumnType<string, string | undefined, string>;
/** jsonb: read as the parsed value, written as JSON text. */
type Json = ColumnType<Record<string, unknown>, string | undefined, string>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;

export interface TeamsTable {
  id: Generated<string>;
  team_alias: string | null;
  max_budget_nanos: Int8Nullable;
  spend_nanos: Int8Defaulted;
  models: TextArray;
  metadata: Json;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ApiKeysTable {
  id: Generated<string>;
  key_hash: string;
  /** Display form only (first 8 + last 4 characters); never enough to use the key. */
  key_prefix: string;
  key_alias: string | null;
  team_id: string | null;
  /** Allowed model names; empty means all. */
  models: TextArray;
  max_budget_nanos: Int8Nullable;
  spend_nanos: Int8Defaulted;
  metadata: Json;
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Ledger of usage events already added to spend, so a redelivered event is counted once. */
export interface ProcessedUsageTable {
  request_id: string;
  key_id: string | null;
  team_id: string | null;
  cost_nanos: Int8;
  processed_at: CreatedAt;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: CreatedAt;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  details: Json;
}

export interface Database {
  teams: TeamsTable;
  api_keys: ApiKeysTable;
  processed_usage: ProcessedUsageTable;
  audit_log: AuditLogTable;
}

export type TeamRow = Selectable<TeamsTable>;
export type NewTeamRow = Insertable<TeamsTable>;
export type TeamRowUpdate = Updateable<TeamsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
export type ApiKeyRowUpdate = Updateable<ApiKeysTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
