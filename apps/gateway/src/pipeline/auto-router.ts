import type { RequestSummary } from '@switchyard/contracts';
import { estimateTokens, messageText, type ChatMessage } from '@switchyard/providers';
import { chooseAutoRoute, type AutoRoute } from '@switchyard/routing';

/** Response headers naming the auto route's choice: the model it sent the request to, and the rule that chose it. */
export const AUTO_ROUTE_HEADER = 'x-switchyard-auto-route';
export const AUTO_ROUTE_RULE_HEADER = 'x-switchyard-auto-route-rule';

/**
 * router_settings.auto_routes at the edge: the gateway holds the body, so it evaluates the rules (the last user
 * message's text never travels) and sends the request on for the model they chose, as if the client had asked
 * for it; the summary keeps what was asked (`autoRoute.from`) for the usage event and the response headers.
 */
export class AutoRouter {
  private readonly routes: ReadonlyMap<string, AutoRoute>;

  constructor(routes: readonly AutoRoute[]) {
    this.routes = new Map(routes.map((r) => [r.model, r]));
  }

  /** Rewrites `summary` in place when it asks for a virtual model of an auto route. */
  apply(summary: RequestSummary, body: unknown): void {
    if (this.routes.size === 0) return;
    const route = this.routes.get(summary.model);
    if (!route) return;
    const needs = summary.needs ?? [];
    const chosen = chooseAutoRoute(route, {
      promptTokens: estimateTokens(summary.promptChars),
      tools: needs.includes('tools'),
      images: needs.includes('vision'),
      tags: summary.tags,
      lastUserText: () => lastUserText(body),
    });
    summary.autoRoute = { from: summary.model, rule: chosen.rule };
    summary.model = chosen.model;
  }
}

function lastUserText(body: unknown): string {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as ChatMessage | null;
    if (m !== null && typeof m === 'object' && m.role === 'user') return messageText(m);
  }
  return '';
}
