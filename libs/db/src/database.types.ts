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
type Timestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
type IntNullable = ColumnType<number | null, number | null | undefined, number | null>;
type BoolDefaulted = ColumnType<boolean, boolean | undefined, boolean>;

/**
 * Budget and rate-limit columns, the same at every level that has them (key, user, team, organisation, end user).
 * Null means no limit. budget_duration is LiteLLM's (`30s`, `1h`, `1d`, `7d`, `30d`, `1mo`); budget_reset_at is
 * when spend next returns to zero.
 */
export interface LimitColumns {
  max_budget_nanos: Int8Nullable;
  soft_budget_nanos: Int8Nullable;
  spend_nanos: Int8Defaulted;
  budget_duration: string | null;
  budget_reset_at: Timestamp;
  rpm_limit: IntNullable;
  tpm_limit: Int8Nullable;
  max_parallel_requests: IntNullable;
}

export const USER_ROLES = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const TEAM_ROLES = ['admin', 'user'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export interface OrganizationsTable extends LimitColumns {
  id: Generated<string>;
  organization_alias: string | null;
  models: TextArray;
  metadata: Json;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Timestamp;
}

export interface UsersTable extends LimitColumns {
  /** LiteLLM's user_id: chosen by the caller (an email, an SSO subject) or a generated uuid. */
  id: ColumnType<string, string | undefined, never>;
  user_email: string | null;
  user_role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  organization_id: string | null;
  models: TextArray;
  metadata: Json;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Timestamp;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  role: ColumnType<'org_admin' | 'member', 'org_admin' | 'member' | undefined, 'org_admin' | 'member'>;
  created_at: CreatedAt;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: ColumnType<TeamRole, TeamRole | undefined, TeamRole>;
  created_at: CreatedAt;
}

/** End users (LiteLLM's customers): the request's `user` field or x-switchyard-end-user. */
export interface EndUsersTable extends LimitColumns {
  id: string;
  alias: string | null;
  blocked: BoolDefaulted;
  /** A reusable budget (budgets) whose limits this end user takes; null: its own. */
  budget_id: ColumnType<string | null, string | null | undefined, string | null>;
  metadata: Json;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TeamsTable extends LimitColumns {
  id: Generated<string>;
  team_alias: string | null;
  organization_id: ColumnType<string | null, string | null | undefined, string | null>;
  blocked: BoolDefaulted;
  models: TextArray;
  metadata: Json;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ApiKeysTable extends LimitColumns {
  id: Generated<string>;
  key_hash: string;
  /** Display form only (first 8 + last 4 characters); never enough to use the key. */
  key_prefix: string;
  key_alias: string | null;
  team_id: string | null;
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  blocked: BoolDefaulted;
  /** Allowed model names; empty means all. */
  models: TextArray;
  /** Per-model limits: {"<model>": <requests or tokens per minute>}. */
  model_rpm_limit: Json;
  model_tpm_limit: Json;
  metadata: Json;
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** The hash of a regenerated key's old secret, which authenticates the key until revoke_at (grace_period). */
export interface ApiKeyPreviousSecretsTable {
  key_hash: string;
  key_id: string;
  revoke_at: Date;
  created_at: CreatedAt;
}

/**
 * One model's budget on one key (LiteLLM's model_max_budget entry): its own spend and period, a budget level of
 * its own (`key_model`, id `<key id>/<model>`).
 */
export interface KeyModelBudgetsTable {
  id: string;
  key_id: string;
  /** The model name as configured (what requests are matched against). */
  model: string;
  max_budget_nanos: Int8;
  spend_nanos: Int8Defaulted;
  budget_duration: string;
  budget_reset_at: Date;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** LiteLLM's reusable budget objects (/budget/new), linked to end users by budget_id. */
export interface BudgetsTable {
  /** LiteLLM's budget_id: chosen by the caller or generated. */
  id: string;
  max_budget_nanos: Int8Nullable;
  soft_budget_nanos: Int8Nullable;
  budget_duration: string | null;
  rpm_limit: IntNullable;
  tpm_limit: Int8Nullable;
  max_parallel_requests: IntNullable;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Ledger of usage events already added to spend, so a redelivered event is counted once. */
export interface ProcessedUsageTable {
  request_id: string;
  key_id: string | null;
  team_id: string | null;
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  organization_id: ColumnType<string | null, string | null | undefined, string | null>;
  end_user: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** The entity before and after the change (null: created / deleted, or not recorded); never a secret. */
  before: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  after: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

/** A Responses API response kept for previous_response_id and GET (migration 20261125110000). */
export interface StoredResponsesTable {
  id: string;
  owner: string;
  model: string;
  status: string;
  /** jsonb array of input items; written as JSON text. */
  input: ColumnType<unknown[], string, string>;
  response: Json;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date, Date>;
}

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  organization_members: OrganizationMembersTable;
  team_members: TeamMembersTable;
  end_users: EndUsersTable;
  teams: TeamsTable;
  api_keys: ApiKeysTable;
  api_key_previous_secrets: ApiKeyPreviousSecretsTable;
  key_model_budgets: KeyModelBudgetsTable;
  budgets: BudgetsTable;
  processed_usage: ProcessedUsageTable;
  audit_log: AuditLogTable;
  stored_responses: StoredResponsesTable;
}

export type TeamRow = Selectable<TeamsTable>;
export type NewTeamRow = Insertable<TeamsTable>;
export type TeamRowUpdate = Updateable<TeamsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
export type ApiKeyRowUpdate = Updateable<ApiKeysTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
export type EndUserRow = Selectable<EndUsersTable>;
export type TeamMemberRow = Selectable<TeamMembersTable>;
export type KeyModelBudgetRow = Selectable<KeyModelBudgetsTable>;
export type BudgetRow = Selectable<BudgetsTable>;
