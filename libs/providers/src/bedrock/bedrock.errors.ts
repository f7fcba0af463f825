import type { GatewayError } from '@switchyard/contracts';
import { createRedactor, deploymentSecrets, redactKeyShapes } from '../errors/secret-redaction';
import {
  clientMessage,
  upstreamOperatorError,
  upstreamServerError,
  upstreamStatusError,
} from '../errors/upstream-status-error';
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

/** The provider's own words, fit for a client: secrets and account ids masked, HTML refused, bounded. */
function bedrockClientMessage(message: string | undefined, redact: (text: string) => string): string | undefined {
  return clientMessage(message, (text) => maskAccountIds(redact(text)));
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
  const credentialsRefused = (errorType !== undefined && CREDENTIAL_ERRORS.has(errorType)) || status === 401;
  if (!credentialsRefused && (errorType === 'AccessDeniedException' || (errorType === undefined && status === 403))) {
    return upstreamOperatorError({
      kind: 'auth',
      code: 'upstream_access_denied',
      message: `AWS denied the gateway access to ${dep}${message ? `: ${message}` : ''}. The gateway operator should check that the deployment's identity may invoke this model and that model access is enabled in its region`,
    });
  }
  const modelFailed =
    errorType === 'ModelErrorException' || errorType === 'ModelStreamErrorException' || status === 424;
  if (!credentialsRefused && modelFailed) {
    // A model's failure text says what the model rejected; a server's describes the provider's insides.
    return upstreamServerError({
      model: f.model,
      detail: `${errorType ?? `HTTP ${status}`}${message ? `: ${message}` : ''}`,
      retryAfter: f.retryAfter,
    });
  }
  const throttled =
    errorType === 'ThrottlingException' ||
    errorType === 'ServiceQuotaExceededException' ||
    errorType === 'ModelNotReadyException';
  const unavailable = errorType === 'ServiceUnavailableException' || status === 503;
  return upstreamStatusError({
    status,
    typeStatus: credentialsRefused
      ? 401
      : throttled
        ? 429
        : errorType === 'ModelTimeoutException'
          ? 408
          : unavailable
            ? 503
            : errorType === 'InternalServerException'
              ? 500
              : undefined,
    model: f.model,
    message,
    hint: { message, shaped: true },
    kind: unavailable ? 'overloaded' : status >= 500 ? 'upstream_5xx' : undefined,
    retryAfter: f.retryAfter,
    credentials: {
      who: 'AWS',
      detail: errorType ?? `HTTP ${status}`,
      check: "the deployment's AWS keys, region and clock",
    },
    notTheApi: "a Bedrock API error, so the deployment's URL does not lead to the Bedrock runtime",
    rateLimitCode:
      errorType === 'ServiceQuotaExceededException'
        ? 'quota_exceeded'
        : errorType === 'ModelNotReadyException'
          ? 'model_not_ready'
          : undefined,
    timeoutStatuses: [408],
    unavailableCode: 'service_unavailable',
    clientErrorsAs400: true,
  });
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
    message: bedrockClientMessage(body.message, redactorFor(deployment)),
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
    message: bedrockClientMessage(payloadMessage, redactKeyShapes),
    model,
  });
}
