import {
  compileRoutePattern,
  resolveGroup,
  type AutoRoute,
  type AutoRouteRule,
  type ModelCatalog,
  type RoutableDeployment,
} from '@switchyard/routing';
import type { z } from 'zod';
import type { AutoRouteSchema } from './config.schema';

/** Raised for a config that cannot load; load-config's ConfigError (kept apart to avoid an import cycle). */
class AutoRouteError extends Error {}

/**
 * router_settings.auto_routes, checked and compiled: every target resolves to a model group (or alias), a
 * virtual model shadows no group nor another route, and every pattern is compiled once here and refused if
 * it could backtrack for long. Errors name the route and rule, and what to change.
 */
export function buildAutoRoutes<D extends RoutableDeployment>(
  raw: readonly z.infer<typeof AutoRouteSchema>[],
  catalog: ModelCatalog<D>,
): AutoRoute[] {
  const seen = new Set<string>();
  return raw.map((route, i) => {
    const where = `router_settings.auto_routes[${i}] (${route.model})`;
    if (seen.has(route.model)) throw new AutoRouteError(`${where}: the model "${route.model}" has two auto routes.`);
    seen.add(route.model);
    if (resolveGroup(catalog, route.model))
      throw new AutoRouteError(
        `${where}: "${route.model}" is already a model group or alias; give the auto route a name of its own.`,
      );
    const target = (model: string, at: string) => {
      if (!resolveGroup(catalog, model))
        throw new AutoRouteError(
          `${at}: "${model}" is served by no model_list entry or alias; route to a model that is.`,
        );
      return model;
    };
    const rules = route.rules.map((r, j): AutoRouteRule => {
      const at = `${where}.rules[${j}]`;
      let pattern: RegExp | undefined;
      if (r.last_user_message_matches !== undefined) {
        try {
          pattern = compileRoutePattern(r.last_user_message_matches, r.ignore_case === true);
        } catch (e) {
          throw new AutoRouteError(`${at}.last_user_message_matches: ${(e as Error).message}.`);
        }
      }
      if (
        r.min_prompt_tokens !== undefined &&
        r.max_prompt_tokens !== undefined &&
        r.min_prompt_tokens > r.max_prompt_tokens
      )
        throw new AutoRouteError(`${at}: min_prompt_tokens is above max_prompt_tokens, so the rule never matches.`);
      return {
        name: r.name ?? `rule-${j + 1}`,
        model: target(r.model, at),
        ...(r.min_prompt_tokens !== undefined && { minPromptTokens: r.min_prompt_tokens }),
        ...(r.max_prompt_tokens !== undefined && { maxPromptTokens: r.max_prompt_tokens }),
        ...(r.tools !== undefined && { tools: r.tools }),
        ...(r.images !== undefined && { images: r.images }),
        ...(r.tag !== undefined && { tag: r.tag }),
        ...(pattern && { pattern }),
      };
    });
    return { model: route.model, rules, default: target(route.default, `${where}.default`) };
  });
}

export { AutoRouteError };
