import { Errors } from '@switchyard/contracts';
import { ProviderError } from '../provider-adapter';
import {
  ParamRejection,
  type DropReason,
  type DropSettings,
  type DroppedParam,
  type ParamContext,
  type ParamMap,
  type ParamMapResult,
} from './param-map.types';

/*
 * The one engine that interprets parameter maps. Rules are typed where they are written (param-map.types);
 * here they are read through an erased view, since the engine walks fields by name at run time.
 */

interface ErasedCheck {
  min?: number;
  max?: number;
  integer?: boolean;
  oneOf?: readonly unknown[];
  validate?: (value: unknown, req: unknown, ctx: ParamContext) => string | undefined;
}

type ErasedRule =
  | {
      kind: 'map';
      to?: string;
      transform?: (value: unknown, req: unknown, ctx: ParamContext) => unknown;
      default?: unknown;
      required?: boolean;
      check?: ErasedCheck;
    }
  | { kind: 'unsupported'; hint?: string }
  | { kind: 'external'; check?: ErasedCheck };

function badRequest(message: string, param: string, code: string): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, param, code), kind: 'bad_request' });
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** What is wrong with `value` under `check`, or undefined. */
function checkValue(check: ErasedCheck, value: unknown, req: unknown, ctx: ParamContext): string | undefined {
  if (typeof value === 'number') {
    if (check.integer && !Number.isInteger(value)) return `expected an integer, got ${show(value)}`;
    if (check.min !== undefined && value < check.min) return `must be at least ${check.min}, got ${show(value)}`;
    if (check.max !== undefined && value > check.max) return `must be at most ${check.max}, got ${show(value)}`;
  } else if (check.min !== undefined || check.max !== undefined || check.integer) {
    return `expected a number, got ${show(value)}`;
  }
  if (check.oneOf !== undefined && !check.oneOf.includes(value)) {
    return `must be one of ${check.oneOf.map(show).join(', ')}, got ${show(value)}`;
  }
  return check.validate?.(value, req, ctx);
}

/**
 * Applies `map` to the client's request: returns the wire fields, the unknown fields to pass through, and
 * the fields dropped (to log). Throws a ProviderError (400 `invalid_request_error`, kind `bad_request`)
 * for a parameter the provider cannot take, unless the drop settings say to drop it. Values are never
 * adjusted to fit: a value out of range is refused or dropped.
 */
export function applyParamMap<Wire, Req extends object>(
  map: ParamMap<Wire, Req>,
  req: NoInfer<Req>,
  ctx: Pick<ParamContext, 'model'>,
  settings: DropSettings = {},
): ParamMapResult<Wire> {
  const context: ParamContext = { provider: map.provider, model: ctx.model };
  const rules = map.rules as Readonly<Record<string, ErasedRule | undefined>>;
  const alwaysDrop = new Set(settings.additionalDropParams ?? []);
  const wire: Record<string, unknown> = {};
  /** Which client field wrote each wire field. */
  const writtenBy = new Map<string, string>();
  const passthrough: Record<string, unknown> = {};
  const dropped: DroppedParam[] = [];
  const provider = map.provider;

  const dropOr = (param: string, reason: DropReason, error: () => ProviderError, detail?: string): void => {
    if (!settings.dropParams) throw error();
    dropped.push(detail === undefined ? { param, reason } : { param, reason, detail });
  };
  const invalid = (param: string, problem: string): void =>
    dropOr(
      param,
      'invalid_value',
      () =>
        badRequest(
          `Invalid value for \`${param}\` with ${provider}: ${problem}. Send a value ${provider} accepts, or set drop_params to drop the parameter.`,
          param,
          'invalid_value',
        ),
      problem,
    );

  for (const [param, value] of Object.entries(req)) {
    if (value === null || value === undefined) continue;
    if (alwaysDrop.has(param)) {
      dropped.push({ param, reason: 'additional_drop_params' });
      continue;
    }
    const rule = Object.hasOwn(rules, param) ? rules[param] : undefined;
    if (rule === undefined) {
      if (map.unknownFields === 'passthrough') passthrough[param] = value;
      else if (map.unknownFields === 'drop') dropped.push({ param, reason: 'unknown_field' });
      else
        dropOr(param, 'unknown_field', () =>
          badRequest(
            `Unrecognized request argument \`${param}\` for ${provider}. Remove it, or set drop_params to drop unknown arguments.`,
            param,
            'unknown_parameter',
          ),
        );
      continue;
    }
    if (rule.kind === 'unsupported') {
      dropOr(param, 'unsupported', () =>
        badRequest(
          `${provider} does not support \`${param}\`${rule.hint ? ` (${rule.hint})` : ''}. Remove it, or set drop_params (or list it in additional_drop_params) to drop it.`,
          param,
          'unsupported_parameter',
        ),
      );
      continue;
    }
    const problem = rule.check === undefined ? undefined : checkValue(rule.check, value, req, context);
    if (problem !== undefined) {
      invalid(param, problem);
      continue;
    }
    if (rule.kind === 'external') continue;

    const to = rule.to ?? param;
    const out = rule.transform === undefined ? value : rule.transform(value, req, context);
    if (out instanceof ParamRejection) {
      invalid(param, out.problem);
      continue;
    }
    if (out === undefined) continue;
    const earlier = writtenBy.get(to);
    if (earlier !== undefined) {
      throw badRequest(
        `\`${earlier}\` and \`${param}\` both set ${provider}'s \`${to}\`. Send only one of them.`,
        param,
        'conflicting_parameters',
      );
    }
    wire[to] = out;
    writtenBy.set(to, param);
  }

  for (const [param, rule] of Object.entries(rules)) {
    if (rule === undefined || rule.kind !== 'map') continue;
    const to = rule.to ?? param;
    if (writtenBy.has(to)) continue;
    if (rule.default !== undefined && !Object.hasOwn(wire, to)) {
      const d =
        typeof rule.default === 'function'
          ? (rule.default as (r: Req, c: ParamContext) => unknown)(req, context)
          : rule.default;
      if (d !== undefined) wire[to] = d;
    }
    if (rule.required && !Object.hasOwn(wire, to)) {
      throw badRequest(
        `${provider} requires \`${param}\`. Send it with the request.`,
        param,
        'missing_required_parameter',
      );
    }
  }

  return { wire: wire as ParamMapResult<Wire>['wire'], passthrough, dropped };
}
