import type { ChatInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import type { DropSettings } from './param-map.types';

/**
 * LiteLLM's drop settings for one request, most specific first: the request's own `drop_params` /
 * `additional_drop_params` (LiteLLM takes them in the body; the gateway strips them before any upstream),
 * then the deployment's `litellm_params`, which the config fills from `litellm_settings.drop_params` when
 * the deployment sets none.
 */
export function dropSettingsFor(input: ChatInput, deployment: ProviderDeployment): DropSettings {
  const body = input.body as Record<string, unknown>;
  const params = deployment.params as { drop_params?: boolean; additional_drop_params?: string[] } | undefined;
  const requested = typeof body['drop_params'] === 'boolean' ? body['drop_params'] : undefined;
  const extra = Array.isArray(body['additional_drop_params'])
    ? (body['additional_drop_params'] as unknown[]).filter((p): p is string => typeof p === 'string')
    : [];
  const additional = [...(params?.additional_drop_params ?? []), ...extra];
  return {
    dropParams: requested ?? params?.drop_params ?? false,
    ...(additional.length > 0 && { additionalDropParams: additional }),
  };
}
