import type { GatewayError } from '@switchyard/contracts';
import { classifyUpstream } from '../errors/error-classifier';
import { createRedactor, deploymentSecrets, redactKeyShapes } from '../errors/secret-redaction';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { headerValue, parseRetryAfter } from '../upstream-errors';
import type { BedrockErrorBody } from './bedrock.types';

/**
 * Errors of AWS's front door that say the gateway's keys or signature were refused (HTTP 403 from AWS):
 * the operator's credentials, not the client's request.
 */
const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidTokenException',
]);

/** Bedrock's modelled exception → its HTTP status, by the shapes in the runtime's service model. */
const EXCEPTION_STATUS: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
};

/** `ValidationException:http://internal.amazon.com/coral/...` or `aws.protocols#ValidationException` → the name. */
export function bedrockErrorType(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let name = raw.split(':')[0]!;
  const hash = name.lastIndexOf('#');
  if (hash !== -1) name = name.slice(hash + 1);
  name = name.trim();
  return name === '' ? undefined : name;
}

/** An ARN quotes the operator's account id; messages keep the ARN's shape without it. */
function maskAccountIds(text: string): string {
  return text.replace(/(arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:)\d{12}(?=:)/g, '$1***');
}

const MAX_CLIENT_MESSAGE = 1000;

/** The provider's own words, fit for a client: secrets and account ids masked, HTML refused, bounded. */
function clientMessage(message: string | undefined, redact: (text: string) => string): string | undefined {
  if (message === undefined || message === '' || /<\/?[a-z][\s\S]*>/i.test(message)) return undefined;
  const m = maskAccountIds(redact(message));
  return m.length > MAX_CLIENT_MESSAGE ? `${m.slice(0, MAX_CLIENT_MESSAGE)}…` : m;
}

function readBody(body: string): { message: string | undefined; type: string | undefined } {
  if (body.trim() === '') return { message: undefined, type: undefined };
  try {
    const doc = JSON.parse(body) as BedrockErrorBody & { __type?: unknown; code?: unknown };
    if (doc === null || typeof doc !== 'object') return { message: undefined, type: undefined };
    const message =
      typeof doc.message === 'string' ? doc.message : typeof doc.Message === 'string' ? doc.Message : undefined;
    const type =
      typeof doc.__type === 'string' ? doc.__type : typeof doc.code === 'string' ? (doc.code as string) : undefined;
    return { message, type: bedrockErrorType(type) };
  } catch {
    return { message: undefined, type: undefined };
  }
}

/** What a Bedrock failure is, however it arrived (an HTTP error, or an exception message in the stream). */
export interface BedrockFailure {
  /** The exception name (`ThrottlingException`), when known. */
  errorType: string | undefined;
  status: number;
  /** The provider's message, already fit for the client (or undefined). */
  message: string | undefined;
  retryAfter?: number;
  /** For messages: the public model name. */
  model: string;
}

/**
 * Maps a Bedrock failure to the gateway's error. Credentials refused by AWS (a bad key, a bad signature,
 * an expired session) and an identity without access to the model are the operator's to fix: a
 * retryable 502 of kind `auth`, so another deployment may serve. Throttling and quota errors are 429s with
 * the retry hint kept; model timeouts 504; model failures (424) and server errors 502; an unavailable
 * service 503 (overloaded). Validation errors stay 400 with Bedrock's message, recognised as context-window
 * or content-policy refusals by their wording.
 */
export function bedrockGatewayError(f: BedrockFailure): GatewayError {
  const { errorType, status, message } = f;
  const dep = `model '${f.model}'`;
  if ((errorType !== undefined && CREDENTIAL_ERRORS.has(errorType)) || status === 401) {
    return {
      kind: 'auth',
      status: 502,
      type: 'api_error',
      code: 'upstream_auth_failed',
      param: null,
      message: `AWS refused the gateway's credentials for ${dep} (${errorType ?? `HTTP ${status}`}). The gateway operator should check the deployment's AWS keys, region and clock; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (errorType === 'AccessDeniedException' || (errorType === undefined && status === 403)) {
    return {
      kind: 'auth',
      status: 502,
      type: 'api_error',
      code: 'upstream_access_denied',
      param: null,
      message: `AWS denied the gateway access to ${dep}${message ? `: ${message}` : ''}. The gateway operator should check that the deployment's identity may invoke this model and that model access is enabled in its region; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (
    errorType === 'ThrottlingException' ||
    errorType === 'ServiceQuotaExceededException' ||
    errorType === 'ModelNotReadyException' ||
    (errorType === undefined && status === 429)
  ) {
    return {
      kind: 'rate_limited',
      status: 429,
      type: 'rate_limit_error',
      code:
        errorType === 'ServiceQuotaExceededException'
          ? 'quota_exceeded'
          : errorType === 'ModelNotReadyException'
            ? 'model_not_ready'
            : 'rate_limit_exceeded',
      param: null,
      message: message ?? `The provider of ${dep} is rate limiting requests. Retry after a short wait.`,
      ...(f.retryAfter !== undefined && { retryAfter: f.retryAfter }),
      retryable: true,
    };
  }
  if (errorType === 'ModelTimeoutException' || status === 408) {
    return {
      kind: 'timeout',
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      message: `The model behind ${dep} timed out${message ? ` (${message})` : ''}. Retry the request.`,
      retryable: true,
    };
  }
  if (errorType === 'ServiceUnavailableException' || status === 503) {
    return {
      kind: 'overloaded',
      status: 503,
      type: 'api_error',
      code: 'service_unavailable',
      param: null,
      message: `The provider of ${dep} is unavailable${message ? ` (${message})` : ''}. Retry after a short wait; another deployment may serve the request.`,
      ...(f.retryAfter !== undefined && { retryAfter: f.retryAfter }),
      retryable: true,
    };
  }
  if (
    errorType === 'ModelErrorException' ||
    errorType === 'ModelStreamErrorException' ||
    status === 424 ||
    status >= 500
  ) {
    return {
      kind: 'upstream_5xx',
      status: 502,
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      // A model's or server's failure text describes the provider's insides, except for Bedrock's model
      // errors, which say what the model rejected.
      message: `The provider of ${dep} failed (${errorType ?? `HTTP ${status}`})${status === 424 && message ? `: ${message}` : ''}. Retry the request; another deployment may serve it.`,
      ...(f.retryAfter !== undefined && { retryAfter: f.retryAfter }),
      retryable: true,
    };
  }
  if (status === 413) {
    return {
      kind: 'too_large',
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
      param: null,
      message: message ?? `The request is too large for ${dep} on bedrock.`,
      retryable: false,
    };
  }
  // Validation and other client errors: the request itself, in Bedrock's words.
  const kind = classifyUpstream(status === 404 ? 404 : 400, { message, shaped: true });
  const code =
    kind === 'context_window'
      ? 'context_length_exceeded'
      : kind === 'content_policy'
        ? 'content_policy_violation'
        : status === 404
          ? 'model_not_found'
          : null;
  return {
    kind,
    status: status === 404 ? 404 : 400,
    type: 'invalid_request_error',
    code,
    param: null,
    message: message ?? `The provider of ${dep} rejected the request (${errorType ?? `HTTP ${status}`}).`,
    retryable: false,
  };
}

/** The secrets a deployment's errors must never show: its configured ones and the AWS keys of the environment. */
function redactorFor(deployment: ProviderDeployment): (text: string) => string {
  const env = process.env;
  const fromEnv = [env['AWS_SECRET_ACCESS_KEY'], env['AWS_SESSION_TOKEN'], env['AWS_ACCESS_KEY_ID']].filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  return createRedactor([...deploymentSecrets(deployment), ...fromEnv]);
}

/**
 * A non-2xx Converse reply → the gateway's error. The exception's name comes from the `x-amzn-errortype`
 * header (`ThrottlingException:http://internal.amazon.com/...`), else the body's `__type`/`code`, else
 * the status; the message from the body's `message`.
 */
export function normaliseBedrockError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const body = readBody(reply.body);
  const errorType = bedrockErrorType(headerValue(reply.headers, 'x-amzn-errortype')) ?? body.type;
  return bedrockGatewayError({
    errorType,
    status: reply.status,
    message: clientMessage(body.message, redactorFor(deployment)),
    retryAfter: parseRetryAfter(reply.headers),
    model: deployment.modelName,
  });
}

/** `throttlingException` (a stream's `:exception-type`) → `ThrottlingException`. */
function exceptionName(streamType: string): string {
  return streamType.charAt(0).toUpperCase() + streamType.slice(1);
}

/**
 * An exception message inside a ConverseStream (`:message-type` exception, the body `{"message": ...}`), or
 * a transport-level `:message-type` error, as the gateway's error. The status is the exception's own.
 */
export function bedrockStreamError(
  streamType: string,
  payloadMessage: string | undefined,
  model: string,
): GatewayError {
  const errorType = exceptionName(streamType);
  return bedrockGatewayError({
    errorType,
    status: EXCEPTION_STATUS[errorType] ?? 500,
    message: clientMessage(payloadMessage, redactKeyShapes),
    model,
  });
}
