import { Errors } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';
import { isUuid } from '../common/parse-input';

export interface SpendQuery {
  groupBy: 'team' | 'model';
  from?: Date;
  to?: Date;
  teamId?: string;
}

const EPOCH_SECONDS = /^\d{1,11}$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** ISO 8601 date ("2025-06-01", UTC midnight), date-time (UTC when no offset) or epoch seconds. */
export function parseInstant(value: string): Date | undefined {
  if (EPOCH_SECONDS.test(value)) return new Date(Number(value) * 1000);
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', offset] = m;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > daysInMonth(y, mo) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    return undefined;
  }
  const text = m[4] === undefined ? `${year}-${month}-${day}T00:00:00Z` : value.replace(' ', 'T') + (offset ? '' : 'Z');
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new ApiException(Errors.invalidRequest(`Give ${name} once, as a single value.`, name));
  return v;
}

/** ClickHouse DateTime holds whole seconds from the epoch up to 2^32 - 1 (2106-02-07T06:28:15Z). */
export const MIN_INSTANT = new Date(0);
export const MAX_INSTANT = new Date((2 ** 32 - 1) * 1000);

export function instant(query: Record<string, unknown>, name: string): Date | undefined {
  const v = single(query, name);
  if (v === undefined || v === '') return undefined;
  const at = parseInstant(v);
  if (!at) {
    throw new ApiException(
      Errors.invalidRequest(
        `Invalid ${name}: use an ISO 8601 date ("2025-06-01"), date-time ("2025-06-01T12:00:00Z") or epoch seconds.`,
        name,
      ),
    );
  }
  // Rows are stored to the second, so only whole seconds count against the upper bound.
  if (at.getTime() < MIN_INSTANT.getTime() || Math.floor(at.getTime() / 1000) * 1000 > MAX_INSTANT.getTime()) {
    throw new ApiException(
      Errors.invalidRequest(
        `Invalid ${name}: ${v} is outside the range usage is stored for; use a time from 1970-01-01 to 2106-02-07.`,
        name,
      ),
    );
  }
  return at;
}

/** Validates GET /v1/spend query parameters; each problem is a 400 naming the parameter. */
export function parseSpendQuery(query: Record<string, unknown>): SpendQuery {
  const groupBy = single(query, 'group_by') ?? 'team';
  if (groupBy !== 'team' && groupBy !== 'model') {
    throw new ApiException(Errors.invalidRequest('Invalid group_by: use "team" or "model".', 'group_by'));
  }
  const from = instant(query, 'from');
  const to = instant(query, 'to');
  if (from && to && from.getTime() > to.getTime()) {
    throw new ApiException(Errors.invalidRequest('from is after to: swap them or widen the range.', 'from'));
  }
  const teamId = single(query, 'team_id');
  if (teamId !== undefined && !isUuid(teamId)) {
    throw new ApiException(
      Errors.invalidRequest('Invalid team_id: use a team id as returned by GET /v1/teams.', 'team_id'),
    );
  }
  return { groupBy, from, to, teamId };
}
