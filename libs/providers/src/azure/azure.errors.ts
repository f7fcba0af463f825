import type { GatewayError } from '@switchyard/contracts';
import { upstreamOperatorError } from '../errors/upstream-status-error';
import { extractOpenAIError, normaliseOpenAIError, scrubSecrets } from '../openai/openai.errors';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';

/**
 * Azure OpenAI answers errors in OpenAI's envelope, with a few habits of its own: `code` is sometimes the
 * status as text ("429", "401"); a prompt refused by the content filter is a 400 with code
 * `content_filter` (innererror `ResponsibleAIPolicyViolation`); a wrong deployment name or api-version is
 * a 404 ("Resource not found", `DeploymentNotFound`), which is the operator's to fix, not the client's.
 */
export function normaliseAzureError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const e = normaliseOpenAIError(reply, deployment, {
    who: 'Azure OpenAI',
    check: "the deployment's api_key or Entra ID settings (and the identity's role on the resource)",
  });
  const dep = `model '${deployment.modelName}'`;
  if (e.code !== null && /^\d+$/.test(e.code)) e.code = e.status === 429 ? 'rate_limit_exceeded' : null;
  if (e.kind === 'content_policy') return { ...e, code: 'content_policy_violation', type: 'invalid_request_error' };
  if (e.kind === 'context_window') return { ...e, code: 'context_length_exceeded' };
  if (reply.status === 404) {
    const x = extractOpenAIError(reply.body);
    const said =
      x.json === true && x.message !== undefined && x.message.length <= 300 ? scrubSecrets(x.message) : undefined;
    return upstreamOperatorError({
      kind: 'unavailable',
      code: 'upstream_error',
      message: `The Azure OpenAI resource of ${dep} answered HTTP 404${said !== undefined ? ` (${said})` : ''}. The gateway operator should check its api_base, its deployment name and api_version`,
    });
  }
  return e;
}
