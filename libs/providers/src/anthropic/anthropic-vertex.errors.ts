import type { GatewayError } from '@switchyard/contracts';
import {
  clientMessage,
  deploymentRedactor,
  upstreamAuthFailed,
  upstreamOperatorError,
} from '../errors/upstream-status-error';
import { normaliseGoogleError, readGoogleError } from '../gemini/gemini.errors';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { normaliseAnthropicError, readAnthropicError } from './anthropic.errors';

/**
 * The two envelopes an error of Claude on Vertex AI comes in: the model's own (Anthropic's
 * `{"type":"error","error":{type,message}}`: invalid requests, overloaded, prompt too long...) and the
 * platform's (Google's `{"error":{code,message,status}}`: UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND for
 * a model or region it does not serve, RESOURCE_EXHAUSTED for the project's quota...), which streamRawPredict
 * has also been seen to send wrapped in a one-element array, as Google's streamed JSON does.
 */
export type VertexErrorShape = 'anthropic' | 'google' | 'other';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body's envelope, and the body itself with an array wrapper taken off. */
export function readVertexErrorShape(body: string): { shape: VertexErrorShape; body: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { shape: 'other', body };
  }
  let text = body;
  if (Array.isArray(doc) && doc.length > 0) {
    doc = doc[0];
    text = JSON.stringify(doc);
  }
  if (!isObject(doc) || !isObject(doc['error'])) return { shape: 'other', body: text };
  const e = doc['error'];
  if (doc['type'] === 'error' || (typeof e['type'] === 'string' && e['status'] === undefined)) {
    return { shape: 'anthropic', body: text };
  }
  if (typeof e['status'] === 'string' || typeof e['code'] === 'number') return { shape: 'google', body: text };
  return { shape: 'other', body: text };
}

/** Google's reasons for a credential that is not (or no longer) good. */
const TOKEN_REASONS = new Set(['ACCESS_TOKEN_EXPIRED', 'ACCESS_TOKEN_TYPE_UNSUPPORTED', 'CREDENTIALS_MISSING']);

/**
 * Maps an error reply of Claude on Vertex AI (`vertex_ai/claude-*`), in either envelope, to the gateway's
 * error. The deployment's credentials failing, whoever said so, are the operator's to fix (502, another
 * deployment may serve): a token refused (401 UNAUTHENTICATED, authentication_error) is kind `auth`, a
 * service account without access to the project or model (403 PERMISSION_DENIED, permission_error) kind
 * `permission`. Otherwise the model's errors map as the Anthropic API's (overloaded 529, context window,
 * rate limits with retry-after...) and the platform's as Vertex AI's for Gemini (quota 429, NOT_FOUND 404,
 * FAILED_PRECONDITION 502...). The provider's message is kept, with the deployment's secrets and every
 * key or token shape masked.
 */
export function normaliseVertexAnthropicError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const { shape, body } = readVertexErrorShape(reply.body);
  const redact = deploymentRedactor(deployment);
  const google = shape === 'google' ? readGoogleError(body) : undefined;
  const anthropic = shape === 'anthropic' ? readAnthropicError(body) : undefined;
  const dep = `model '${deployment.modelName}'`;
  const said = clientMessage(google?.message ?? anthropic?.message, redact);
  const detail = [google?.status ?? anthropic?.type, said].filter((s) => s !== undefined).join(': ');
  const upstream = `HTTP ${reply.status}${detail.length > 0 ? ` ${detail}` : ''}`;

  const denied =
    reply.status === 403 || google?.status === 'PERMISSION_DENIED' || anthropic?.type === 'permission_error';
  if (denied) {
    return upstreamOperatorError({
      kind: 'permission',
      code: 'upstream_permission_denied',
      message: `Vertex AI denied the gateway's service account the use of ${dep} (${upstream}). The gateway operator should grant that service account the Vertex AI User role on the deployment's project and enable the model in Model Garden`,
    });
  }
  const refused =
    reply.status === 401 ||
    google?.status === 'UNAUTHENTICATED' ||
    (google?.reason !== undefined && TOKEN_REASONS.has(google.reason)) ||
    anthropic?.type === 'authentication_error';
  if (refused) {
    return upstreamAuthFailed(deployment.modelName, {
      who: 'Vertex AI',
      detail: upstream,
      check:
        "the deployment's service account (vertex_credentials): its key may be disabled or deleted, or its tokens revoked",
    });
  }
  if (shape === 'anthropic') return normaliseAnthropicError({ ...reply, body }, deployment);
  const mapped = normaliseGoogleError({ ...reply, body }, deployment, 'vertex_ai');
  return { ...mapped, message: redact(mapped.message) };
}
