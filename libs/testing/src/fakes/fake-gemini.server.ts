import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, createFakeTimers, listen, readBody, sendText, type FakeReportedUsage } from './fake-http';
import { exampleForSchema } from '@switchyard/providers';
import { createFakeAnthropicMessages } from './fake-anthropic.server';
import { checkMessage, messageSchemas, normaliseNames, type GoogleApi } from './fake-gemini.schema';
import {
  FakeRefusal,
  geminiBatchEmbedAnswer,
  geminiEmbedContentAnswer,
  vertexPredictEmbeddingsAnswer,
} from './fake-embeddings';

/**
 * A fake Google generative AI upstream speaking the real wire formats over HTTP (keep-alive), for
 * integration and end-to-end tests: the Gemini API, Vertex AI's Gemini and Claude endpoints (one origin,
 * one set of tokens), and an OAuth token endpoint for Vertex service accounts.
 *
 * Endpoints:
 * - Gemini API: POST /v1beta/models/{model}:generateContent | :streamGenerateContent (SSE with `?alt=sse`,
 *   else a streamed JSON array, as the real API). Auth: `x-goog-api-key` (or `?key=`); any non-empty key,
 *   or exactly `apiKey` when given. A wrong key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID and
 *   no key a 403, as the real API answers.
 * - Vertex AI: POST /{v1|v1beta1}/projects/{project}/locations/{location}/publishers/google/models/{model}:
 *   generateContent | :streamGenerateContent. Auth: `Authorization: Bearer <token>` issued by this fake's
 *   token endpoint (401 UNAUTHENTICATED otherwise, also once expired or revoked); the token's service account must
 *   belong to the URL's project (403 PERMISSION_DENIED otherwise).
 * - Claude on Vertex AI: POST /{v1|v1beta1}/projects/{project}/locations/{location}/publishers/anthropic/
 *   models/{model}:rawPredict | :streamRawPredict, with the same tokens and the same caller checks (401, 403)
 *   as Gemini's; a model not in FAKE_VERTEX_CLAUDE_MODELS at that location is a 404 NOT_FOUND, and
 *   `claude-fake-429` the project's quota refusal (429 RESOURCE_EXHAUSTED), all in Google's error shape.
 *   Past those checks the body is Anthropic's Messages body without `model` and with `anthropic_version:
 *   "vertex-2023-10-16"`, answered by the fake Anthropic API's own logic (createFakeAnthropicMessages; its
 *   refusals in Anthropic's error shape; `claude-fake-<trigger>` models as its `fake-<trigger>` ones), and
 *   `count-tokens:rawPredict` counts tokens.
 * - POST /token: Google's OAuth 2.0 JWT-bearer grant. The assertion must be an RS256 JWT signed by the
 *   private key of a service account made by createServiceAccount() (its `iss`), with the cloud-platform
 *   scope, an audience of Google's token URL or this endpoint, and a lifetime of at most an hour. Answers
 *   {access_token: "ya29.…", expires_in, token_type: "Bearer"}.
 *
 * Requests are validated as strictly as the real API: an unknown field anywhere is a 400 "Invalid JSON
 * payload received. Unknown name …"; roles are `user` and `model` only (and required on Vertex); every
 * part carries one kind of data; a function-call turn follows a user or function-response turn, and a
 * function-response turn answers the function-call turn right before it, one response per call, by name
 * (and by id where the call had one); thought signatures sent back must be ones this fake issued, and on
 * Gemini 3 models a function call of the current turn must carry its signature.
 *
 * Deterministic answers:
 * - text: `chunks` pieces ("Hello", " from", " the", " fake", " Gemini", " server", "." cycled), one piece
 *   per streamed chunk; candidatesTokenCount = pieces; promptTokenCount = ceil(prompt characters / 4) +
 *   258 per image or file; usage on every chunk, complete on the last;
 * - tools declared (mode not NONE) and the last turn is the user's: a function call to the first allowed
 *   function with arguments made from its schema (to every declared function when the model name contains
 *   "parallel"); after a function-response turn: "The function <name> returned <response JSON>.";
 * - `responseMimeType: application/json`: JSON from `responseJsonSchema` / `responseSchema`, or an object;
 * - thinking (Gemini 3 models always; 2.5 models unless thinkingBudget is 0; others with a thinkingConfig
 *   budget): thoughtsTokenCount 12, a thought-summary part first when includeThoughts, and a
 *   thoughtSignature on the first function call (or the last text part);
 * - stopSequences cut the answer; maxOutputTokens cuts it to that many pieces (finishReason MAX_TOKENS);
 *   candidateCount answers that many identical candidates; a model name containing "cached" (or a
 *   cachedContent) reports cachedContentTokenCount = floor(prompt / 2).
 *
 * Behaviour triggered by the model name's last segment:
 * -429 RESOURCE_EXHAUSTED (Gemini API: QuotaFailure and RetryInfo 7s) · -500 INTERNAL · -503 UNAVAILABLE
 * (overloaded) · -504 DEADLINE_EXCEEDED · -404 NOT_FOUND · -context the input-token-count error · -safety
 * an answer stopped with finishReason SAFETY after "Hello" · -blocked promptFeedback.blockReason SAFETY,
 * no candidates · -drop the stream's connection is destroyed after two chunks (non-stream: before any
 * reply) · -stream-error two chunks then an error event · -slow waits 30 s.
 */

export interface FakeGeminiOptions {
  port?: number;
  /** When set, the Gemini API accepts only this key. */
  apiKey?: string;
  /** Answer pieces (= candidatesTokenCount). Default 5. */
  chunks?: number;
  /** Lifetime of the access tokens /token issues, seconds. Default 3599. */
  tokenTtlSeconds?: number;
  /** The most prompt tokens before the context-length error. Default 1,048,576. */
  maxInputTokens?: number;
  /** Delay before the response headers, ms. Default 0. */
  latencyMs?: number;
}

/** A service account the fake's token endpoint knows: its key file as Google issues it. */
export interface FakeServiceAccount {
  key: {
    type: 'service_account';
    project_id: string;
    private_key_id: string;
    private_key: string;
    client_email: string;
    client_id: string;
    auth_uri: string;
    token_uri: string;
    auth_provider_x509_cert_url: string;
    client_x509_cert_url: string;
    universe_domain: string;
  };
  /** The key file's text. */
  json: string;
}

export interface FakeGeminiRequest {
  api: GoogleApi;
  method: 'generateContent' | 'streamGenerateContent' | 'embedContent' | 'batchEmbedContents' | 'predict';
  model: string;
  /** Vertex only. */
  project?: string;
  location?: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeVertexClaudeRequest {
  project: string;
  location: string;
  /** The model id of the URL (claude-sonnet-4-5@20250929), or `count-tokens`. */
  model: string;
  method: 'rawPredict' | 'streamRawPredict';
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeGemini {
  /** Base URL without a path, e.g. http://127.0.0.1:40123 (the api_base of gemini/ and vertex_ai/ deployments). */
  readonly url: string;
  readonly port: number;
  /** generateContent / streamGenerateContent requests received (all outcomes). */
  readonly requests: number;
  /** POST /token requests received (all outcomes). */
  readonly tokenRequests: number;
  /** Access tokens issued. */
  readonly tokensIssued: number;
  readonly lastRequest?: FakeGeminiRequest;
  /** Claude on Vertex AI: rawPredict / streamRawPredict requests received (all outcomes). */
  readonly claudeRequests: number;
  readonly lastClaudeRequest?: FakeVertexClaudeRequest;
  /**
   * Revokes the access tokens issued so far (to one service account, or all): Vertex then answers them
   * 401 UNAUTHENTICATED, as it does a token revoked or of a disabled account before its expiry.
   * Returns how many were revoked.
   */
  revokeTokens(clientEmail?: string): number;
  /** A new service account whose token_uri is this fake's /token. */
  createServiceAccount(opts?: { projectId?: string; name?: string }): FakeServiceAccount;
  /** The complete usageMetadata of every Gemini answer (whole, or a stream's last chunk), for reconciliation tests. */
  readonly reported: readonly FakeReportedUsage[];
  close(): Promise<void>;
}

const PIECES = ['Hello', ' from', ' the', ' fake', ' Gemini', ' server', '.'];
export const FAKE_GEMINI_SLOW_MS = 30_000;
const THOUGHT_TOKENS = 12;
const THOUGHT_TEXT = '**Considering the request**\n\nThe user wants an answer; I will give the short one.';
const TOKENS_PER_MEDIA = 258;
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const TRIGGERS = new Set([
  '429',
  '500',
  '503',
  '504',
  '404',
  'context',
  'safety',
  'blocked',
  'drop',
  'stream-error',
  'slow',
]);

type Json = Record<string, unknown>;

interface Part extends Json {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType?: string; data?: string };
  fileData?: { mimeType?: string; fileUri?: string };
  functionCall?: { id?: string; name?: string; args?: unknown };
  functionResponse?: { id?: string; name?: string; response?: unknown };
}

interface Content {
  role?: string;
  parts?: Part[];
}

interface Declaration {
  name?: string;
  parameters?: unknown;
  parametersJsonSchema?: unknown;
}

interface Body {
  contents?: Content[];
  systemInstruction?: Content;
  tools?: Array<{ functionDeclarations?: Declaration[] }>;
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } };
  generationConfig?: {
    stopSequences?: string[];
    responseMimeType?: string;
    responseSchema?: unknown;
    responseJsonSchema?: unknown;
    candidateCount?: number | string;
    maxOutputTokens?: number | string;
    temperature?: number;
    topP?: number;
    thinkingConfig?: { includeThoughts?: boolean; thinkingBudget?: number | string; thinkingLevel?: string };
  };
  cachedContent?: string;
}

class GoogleApiError {
  constructor(
    readonly code: number,
    readonly status: string,
    readonly message: string,
    readonly details: Json[] = [],
    readonly headers: Record<string, string> = {},
  ) {}

  body(): Json {
    return {
      error: {
        code: this.code,
        message: this.message,
        status: this.status,
        ...(this.details.length > 0 && { details: this.details }),
      },
    };
  }
}

const invalid = (message: string, violations?: Array<{ field: string; description: string }>): GoogleApiError =>
  new GoogleApiError(
    400,
    'INVALID_ARGUMENT',
    message,
    violations === undefined
      ? []
      : [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations }],
  );

/** A publisher model's method on Vertex AI, as its URL names it. */
interface VertexRoute {
  project: string;
  location: string;
  publisher: 'google' | 'anthropic';
  model: string;
  /** The PredictionService method (GenerateContent, RawPredict, StreamRawPredict). */
  rpc: string;
}

/** Vertex's 404 for a model its publisher does not serve at that location (or does not have at all). */
function publisherModelNotFound(r: Omit<VertexRoute, 'rpc'>): GoogleApiError {
  return new GoogleApiError(
    404,
    'NOT_FOUND',
    `Publisher Model \`projects/${r.project}/locations/${r.location}/publishers/${r.publisher}/models/${r.model}\` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions`,
  );
}

/**
 * Claude models this fake's Vertex AI serves, with the locations each is offered in (Anthropic's model
 * availability varies by region). `@version` may be left out. Models named `claude-fake-<trigger>` are
 * served everywhere and behave as the fake Anthropic API's `fake-<trigger>` models.
 */
export const FAKE_VERTEX_CLAUDE_MODELS: Readonly<Record<string, readonly string[]>> = {
  'claude-sonnet-4-5@20250929': ['global', 'us-east5', 'europe-west1', 'asia-southeast1'],
  'claude-haiku-4-5@20251001': ['global', 'us-east5', 'europe-west1', 'asia-southeast1'],
  'claude-opus-4-1@20250805': ['global', 'us-east5', 'europe-west1'],
  'claude-sonnet-4@20250514': ['global', 'us-east5', 'europe-west1', 'asia-east1'],
  'claude-3-7-sonnet@20250219': ['us-east5', 'europe-west1'],
  'claude-3-5-haiku@20241022': ['us-east5'],
};

/** Whether the fake's Vertex AI serves Claude `model` at `location`. */
function servesClaude(model: string, location: string): boolean {
  if (/^claude-fake-[a-z0-9-]+$/.test(model)) return true;
  const known = Object.entries(FAKE_VERTEX_CLAUDE_MODELS).find(
    ([id]) => id === model || id.slice(0, id.indexOf('@')) === model,
  );
  return known !== undefined && known[1].includes(location);
}

/** The model "thinks": Gemini 3 always, 2.5 unless its budget is 0, others when given a thinking budget. */
function thinks(model: string, body: Body): boolean {
  const tc = body.generationConfig?.thinkingConfig;
  const budget = tc?.thinkingBudget === undefined ? undefined : Number(tc.thinkingBudget);
  if (/gemini-[3-9]/.test(model)) return true;
  if (budget === 0) return false;
  if (model.includes('2.5')) return true;
  return tc !== undefined && (budget === undefined || budget !== 0);
}

/** A JSON Schema (or Gemini's OpenAPI subset, whose type names are upper case) as the example generator reads it. */
function lowerTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerTypes);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema as Json).map(([k, v]) => [
      k,
      k === 'type' && typeof v === 'string' ? v.toLowerCase() : lowerTypes(v),
    ]),
  );
}

function promptTokensOf(body: Body): number {
  let chars = 0;
  let media = 0;
  const count = (c: Content | undefined): void => {
    for (const p of c?.parts ?? []) {
      if (typeof p.text === 'string') chars += p.text.length;
      if (p.functionCall)
        chars += JSON.stringify(p.functionCall.args ?? {}).length + (p.functionCall.name?.length ?? 0);
      if (p.functionResponse) chars += JSON.stringify(p.functionResponse.response ?? {}).length;
      if (p.inlineData || p.fileData) media++;
    }
  };
  count(body.systemInstruction);
  for (const c of body.contents ?? []) count(c);
  return Math.ceil(chars / 4) + media * TOKENS_PER_MEDIA;
}

export async function startFakeGemini(opts: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const pieceCount = opts.chunks ?? 5;
  const tokenTtl = opts.tokenTtlSeconds ?? 3599;
  const maxInput = opts.maxInputTokens ?? 1_048_576;
  const latencyMs = opts.latencyMs ?? 0;
  const timers = createFakeTimers();
  const later = timers.later;
  const accounts = new Map<string, { publicKey: KeyObject; keyId: string; projectId: string }>();
  const tokens = new Map<string, { email: string; projectId: string; scopes: string[]; expiresAt: number }>();
  const signatures = new Set<string>();
  let requests = 0;
  let tokenRequests = 0;
  let tokensIssued = 0;
  let lastRequest: FakeGeminiRequest | undefined;
  let claudeRequests = 0;
  const reported: FakeReportedUsage[] = [];
  let lastClaudeRequest: FakeVertexClaudeRequest | undefined;
  const claude = createFakeAnthropicMessages({ latencyMs: opts.latencyMs });
  let url = '';
  const schemas = { gemini: messageSchemas('gemini'), vertex: messageSchemas('vertex') };

  const sendJson = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    // Google's APIs answer with indented JSON.
    sendText(res, status, `${JSON.stringify(body, null, 2)}\n`, {
      'content-type': 'application/json; charset=UTF-8',
      vary: 'Origin, X-Origin, Referer',
      'server-timing': `gfet4t7; dur=${latencyMs}`,
      ...extra,
    });
  };
  const sendError = (res: ServerResponse, e: GoogleApiError): void => sendJson(res, e.code, e.body(), e.headers);

  const newSignature = (): string => {
    const s = randomBytes(48).toString('base64');
    signatures.add(s);
    return s;
  };

  // ---------------------------------------------------------------- OAuth token endpoint

  const tokenError = (res: ServerResponse, status: number, error: string, description: string): void =>
    sendJson(res, status, { error, error_description: description });

  const token = (res: ServerResponse, raw: string): void => {
    tokenRequests++;
    const form = new URLSearchParams(raw);
    const grant = form.get('grant_type');
    if (grant !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return tokenError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
    }
    const assertion = form.get('assertion') ?? '';
    const [h, p, s] = assertion.split('.');
    if (h === undefined || p === undefined || s === undefined)
      return tokenError(res, 400, 'invalid_grant', 'Invalid JWT: malformed.');
    let header: Json;
    let claims: Json;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Json;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Json;
    } catch {
      return tokenError(res, 400, 'invalid_grant', 'Invalid JWT: malformed.');
    }
    const account = typeof claims['iss'] === 'string' ? accounts.get(claims['iss']) : undefined;
    if (account === undefined) return tokenError(res, 400, 'invalid_grant', 'Invalid grant: account not found');
    const signed = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), account.publicKey, Buffer.from(s, 'base64url'));
    if (header['alg'] !== 'RS256' || !signed || (header['kid'] !== undefined && header['kid'] !== account.keyId)) {
      return tokenError(res, 400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    if (claims['aud'] !== GOOGLE_TOKEN_URL && claims['aud'] !== `${url}/token`) {
      return tokenError(
        res,
        400,
        'invalid_grant',
        `Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_URL}`,
      );
    }
    const now = Date.now() / 1000;
    const iat = Number(claims['iat']);
    const exp = Number(claims['exp']);
    if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp - iat > 3600 || iat > now + 300 || exp < now - 300) {
      return tokenError(
        res,
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scope = typeof claims['scope'] === 'string' ? claims['scope'] : '';
    if (scope === '')
      return tokenError(res, 400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const accessToken = `ya29.c.${randomBytes(32).toString('base64url')}`;
    tokens.set(accessToken, {
      email: claims['iss'] as string,
      projectId: account.projectId,
      scopes: scope.split(/\s+/),
      expiresAt: Date.now() + tokenTtl * 1000,
    });
    tokensIssued++;
    sendJson(res, 200, { access_token: accessToken, expires_in: tokenTtl, token_type: 'Bearer' });
  };

  // ---------------------------------------------------------------- Vertex AI's front end (every publisher)

  /**
   * What Vertex AI checks before any publisher's model sees a request: a bearer token this fake issued,
   * unexpired and not revoked (401 UNAUTHENTICATED), with the cloud-platform scope, for a service account of
   * the URL's project (403 PERMISSION_DENIED). `rpc` names the PredictionService method in ErrorInfo.
   */
  const vertexCaller = (req: IncomingMessage, route: VertexRoute): GoogleApiError | undefined => {
    const auth = req.headers.authorization ?? '';
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const issued = tokens.get(bearer);
    if (issued === undefined || issued.expiresAt <= Date.now()) {
      return new GoogleApiError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: issued === undefined ? 'ACCESS_TOKEN_TYPE_UNSUPPORTED' : 'ACCESS_TOKEN_EXPIRED',
            domain: 'googleapis.com',
            metadata: {
              service: 'aiplatform.googleapis.com',
              method: `google.cloud.aiplatform.v1.PredictionService.${route.rpc}`,
            },
          },
        ],
      );
    }
    if (!issued.scopes.includes(CLOUD_PLATFORM)) {
      return new GoogleApiError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
          domain: 'googleapis.com',
        },
      ]);
    }
    if (issued.projectId !== route.project) {
      return new GoogleApiError(
        403,
        'PERMISSION_DENIED',
        `Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/projects/${route.project}/locations/${route.location}/publishers/${route.publisher}/models/${route.model}' (or it may not exist).`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'aiplatform.googleapis.com',
          },
        ],
      );
    }
    return undefined;
  };

  // ---------------------------------------------------------------- request checks

  /** The structural and semantic checks of the real API, first failure wins. */
  const validate = (api: GoogleApi, model: string, raw: string): Body | GoogleApiError => {
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      return invalid('Invalid JSON payload received. Unexpected token.');
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      return invalid(`Invalid JSON payload received. Unknown name "": Root element must be a message.`);
    }
    const violations = checkMessage(schemas[api], 'GenerateContentRequest', doc);
    if (violations.length > 0) return invalid(violations.map((v) => v.description).join('\n'), violations);
    const body = normaliseNames(schemas[api], 'GenerateContentRequest', doc) as Body;
    const contents = body.contents ?? [];
    if (contents.length === 0) return invalid('* GenerateContentRequest.contents: contents is not specified\n');

    for (let i = 0; i < contents.length; i++) {
      const c = contents[i]!;
      const role = c.role ?? (api === 'gemini' ? 'user' : undefined);
      if (role !== 'user' && role !== 'model') return invalid('Please use a valid role: user, model.');
      const parts = c.parts ?? [];
      if (parts.length === 0)
        return invalid(`* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`);
      for (let j = 0; j < parts.length; j++) {
        const p = parts[j]!;
        const kinds = [
          'text',
          'inlineData',
          'fileData',
          'functionCall',
          'functionResponse',
          'executableCode',
          'codeExecutionResult',
        ].filter((k) => p[k] !== undefined && p[k] !== null);
        const at = `GenerateContentRequest.contents[${i}].parts[${j}]`;
        if (kinds.length === 0)
          return invalid(`* ${at}.data: required oneof field 'data' must have one initialized field\n`);
        if (kinds.length > 1)
          return invalid(`Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${kinds[1]}'`);
        if (p.inlineData && !p.inlineData.mimeType)
          return invalid(`* ${at}.inline_data.mime_type: mime_type must be specified.\n`);
        if (p.fileData && (!p.fileData.fileUri || !p.fileData.mimeType)) {
          return invalid(`* ${at}.file_data: file_uri and mime_type must be specified.\n`);
        }
        if (p.functionCall && !p.functionCall.name)
          return invalid(`* ${at}.function_call.name: Name cannot be empty.\n`);
        if (p.functionResponse && !p.functionResponse.name)
          return invalid(`* ${at}.function_response.name: Name cannot be empty.\n`);
        if (p.thoughtSignature !== undefined && !signatures.has(p.thoughtSignature))
          return invalid('Corrupted thought signature.');
      }
      const calls = parts.filter((p) => p.functionCall);
      const responses = parts.filter((p) => p.functionResponse);
      if (calls.length > 0) {
        const prev = contents[i - 1];
        if (role !== 'model' || prev === undefined || (prev.role ?? 'user') !== 'user') {
          return invalid(
            'Please ensure that function call turn comes immediately after a user turn or after a function response turn.',
          );
        }
      }
      if (responses.length > 0) {
        const prev = contents[i - 1];
        const lastCalls = prev?.role === 'model' ? (prev.parts ?? []).filter((p) => p.functionCall) : [];
        if (role !== 'user' || lastCalls.length === 0) {
          return invalid('Please ensure that function response turn comes immediately after a function call turn.');
        }
        if (responses.length !== lastCalls.length) {
          return invalid(
            'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
          );
        }
        const open = [...lastCalls];
        for (const r of responses) {
          const fr = r.functionResponse!;
          const k = open.findIndex(
            (cp) => cp.functionCall!.name === fr.name && (fr.id === undefined || cp.functionCall!.id === fr.id),
          );
          if (k === -1) {
            return invalid(
              `Please ensure that function response turn comes immediately after a function call turn: no function call ${JSON.stringify(fr.name)}${fr.id !== undefined ? ` with id ${JSON.stringify(fr.id)}` : ''} to answer.`,
            );
          }
          open.splice(k, 1);
        }
      }
    }

    // Gemini 3: every function call of the current turn (since the last user text) needs its signature.
    if (/gemini-[3-9]/.test(model)) {
      let from = 0;
      contents.forEach((c, i) => {
        if ((c.role ?? 'user') === 'user' && (c.parts ?? []).some((p) => !p.functionResponse)) from = i + 1;
      });
      for (const c of contents.slice(from)) {
        const first = (c.parts ?? []).findIndex((p) => p.functionCall);
        if (first !== -1 && c.parts![first]!.thoughtSignature === undefined) {
          return invalid(
            `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${c.parts![first]!.functionCall!.name}\` , position ${first + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
          );
        }
      }
    }

    const declared = new Set<string>();
    for (const [t, tool] of (body.tools ?? []).entries()) {
      for (const [d, decl] of (tool.functionDeclarations ?? []).entries()) {
        const at = `GenerateContentRequest.tools[${t}].function_declarations[${d}]`;
        if (!decl.name || !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,127}$/.test(decl.name)) {
          return invalid(
            `* ${at}.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 128.\n`,
          );
        }
        if (decl.parameters !== undefined && decl.parametersJsonSchema !== undefined) {
          return invalid(`* ${at}: parameters and parameters_json_schema are mutually exclusive.\n`);
        }
        const js = decl.parametersJsonSchema as Json | undefined;
        if (js !== undefined && (js === null || typeof js !== 'object' || js['type'] !== 'object')) {
          return invalid(`* ${at}.parameters_json_schema: the schema must describe an object (type "object").\n`);
        }
        declared.add(decl.name);
      }
    }
    const fcc = body.toolConfig?.functionCallingConfig;
    const mode = (fcc?.mode ?? 'AUTO').toUpperCase();
    if (fcc?.allowedFunctionNames !== undefined && fcc.allowedFunctionNames.length > 0) {
      if (mode !== 'ANY' && mode !== 'VALIDATED') {
        return invalid(
          '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: allowed_function_names should only be set when the mode is ANY or VALIDATED.\n',
        );
      }
      const unknown = fcc.allowedFunctionNames.find((n) => !declared.has(n));
      if (unknown !== undefined) {
        return invalid(
          `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function ${JSON.stringify(unknown)} is not declared in tools.\n`,
        );
      }
    }

    const g = body.generationConfig ?? {};
    if (g.temperature !== undefined && (g.temperature < 0 || g.temperature > 2)) {
      return invalid('* GenerateContentRequest.generation_config.temperature: temperature must be between 0 and 2.\n');
    }
    if (g.topP !== undefined && (g.topP < 0 || g.topP > 1)) {
      return invalid('* GenerateContentRequest.generation_config.top_p: top_p must be between 0 and 1.\n');
    }
    const n = g.candidateCount === undefined ? 1 : Number(g.candidateCount);
    if (n < 1 || n > 8)
      return invalid('* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8.\n');
    if ((g.stopSequences ?? []).length > 5) {
      return invalid(
        '* GenerateContentRequest.generation_config.stop_sequences: the number of stop sequences must be at most 5.\n',
      );
    }
    if (g.maxOutputTokens !== undefined && Number(g.maxOutputTokens) < 1) {
      return invalid(
        '* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive.\n',
      );
    }
    if (g.responseSchema !== undefined && g.responseJsonSchema !== undefined) {
      return invalid(
        '* GenerateContentRequest.generation_config: response_schema and response_json_schema are mutually exclusive.\n',
      );
    }
    if (
      (g.responseSchema !== undefined || g.responseJsonSchema !== undefined) &&
      g.responseMimeType !== 'application/json'
    ) {
      return invalid(
        '* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be application/json when a response schema is set.\n',
      );
    }
    const tc = g.thinkingConfig;
    if (tc?.thinkingBudget !== undefined && tc.thinkingLevel !== undefined) {
      return invalid('You can only set only one of thinking budget and thinking level.');
    }
    if (tc?.thinkingLevel !== undefined && !/gemini-[3-9]/.test(model)) {
      return invalid('Thinking level is not supported for this model.');
    }
    if (tc?.thinkingBudget !== undefined && Number(tc.thinkingBudget) === 0 && model.includes('2.5-pro')) {
      return invalid('Budget 0 is invalid. This model only works in thinking mode.');
    }
    return body;
  };

  // ---------------------------------------------------------------- answers

  interface Candidate {
    /** Chunks of parts, in the order a stream sends them. */
    chunks: Part[][];
    finishReason: string;
    tokens: number;
  }

  interface Plan {
    candidates: Candidate[];
    promptTokens: number;
    thoughtTokens: number;
    cachedTokens: number;
    blocked?: boolean;
  }

  const plan = (model: string, body: Body, trigger: string | undefined): Plan => {
    const promptTokens = promptTokensOf(body);
    const thinking = thinks(model, body);
    const includeThoughts = thinking && body.generationConfig?.thinkingConfig?.includeThoughts === true;
    const cachedTokens =
      model.includes('cached') || body.cachedContent !== undefined ? Math.floor(promptTokens / 2) : 0;
    const base = { promptTokens, thoughtTokens: thinking ? THOUGHT_TOKENS : 0, cachedTokens };
    if (trigger === 'blocked') return { ...base, thoughtTokens: 0, candidates: [], blocked: true };

    const g = body.generationConfig ?? {};
    const contents = body.contents ?? [];
    const last = contents.at(-1);
    const declarations = (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
    const fcc = body.toolConfig?.functionCallingConfig;
    const mode = (fcc?.mode ?? 'AUTO').toUpperCase();
    const answeredTools = (last?.parts ?? []).filter((p) => p.functionResponse);
    const thoughtChunk: Part[][] = includeThoughts ? [[{ text: THOUGHT_TEXT, thought: true }]] : [];

    let pieces: string[];
    let finishReason = 'STOP';
    if (declarations.length > 0 && mode !== 'NONE' && answeredTools.length === 0 && trigger === undefined) {
      const allowed = fcc?.allowedFunctionNames;
      const callable = declarations.filter(
        (d) => allowed === undefined || allowed.length === 0 || allowed.includes(d.name!),
      );
      const chosen = model.includes('parallel') ? callable : callable.slice(0, 1);
      const calls: Part[] = chosen.map((d, i) => {
        const schema = lowerTypes(d.parametersJsonSchema ?? d.parameters ?? { type: 'object' });
        const part: Part = { functionCall: { name: d.name!, args: (exampleForSchema(schema) as Json | null) ?? {} } };
        if (/gemini-[3-9]/.test(model)) part.functionCall!.id = `fc_${randomBytes(6).toString('hex')}`;
        if (thinking && i === 0) part.thoughtSignature = newSignature();
        return part;
      });
      const tokens = calls.reduce((sum, c) => sum + Math.ceil(JSON.stringify(c.functionCall).length / 4), 0);
      const candidate: Candidate = { chunks: [...thoughtChunk, calls], finishReason: 'STOP', tokens };
      return { ...base, candidates: Array.from({ length: Number(g.candidateCount ?? 1) }, () => candidate) };
    }
    if (answeredTools.length > 0) {
      const fr = answeredTools[0]!.functionResponse!;
      pieces = ['The function ', `${fr.name} returned `, `${JSON.stringify(fr.response ?? {})}.`];
    } else if (g.responseMimeType === 'application/json') {
      const schema = g.responseJsonSchema ?? g.responseSchema;
      const text = JSON.stringify(
        schema !== undefined ? exampleForSchema(lowerTypes(schema)) : { answer: 'Hello from the fake Gemini server.' },
      );
      const third = Math.ceil(text.length / 3);
      pieces = [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)].filter((p) => p.length > 0);
    } else {
      pieces = Array.from({ length: pieceCount }, (_, i) => PIECES[i % PIECES.length]!);
    }
    if (trigger === 'safety') {
      pieces = pieces.slice(0, 1);
      finishReason = 'SAFETY';
    }
    // Stop sequences end the answer where one starts (the sequence itself is not returned).
    const stops = g.stopSequences ?? [];
    const joined = pieces.join('');
    const cut = stops.map((s) => joined.indexOf(s)).filter((i) => i !== -1);
    if (cut.length > 0) {
      let left = Math.min(...cut);
      const kept: string[] = [];
      for (const p of pieces) {
        if (left <= 0) break;
        kept.push(p.slice(0, left));
        left -= p.length;
      }
      pieces = kept.filter((p) => p.length > 0);
    }
    const max = g.maxOutputTokens === undefined ? undefined : Number(g.maxOutputTokens);
    if (max !== undefined && pieces.length > max) {
      pieces = pieces.slice(0, max);
      finishReason = 'MAX_TOKENS';
    }
    const chunks: Part[][] = [...thoughtChunk, ...pieces.map((text) => [{ text }])];
    if (thinking && pieces.length > 0) chunks.at(-1)![0]!.thoughtSignature = newSignature();
    const candidate: Candidate = { chunks, finishReason, tokens: pieces.length };
    return { ...base, candidates: Array.from({ length: Number(g.candidateCount ?? 1) }, () => candidate) };
  };

  const usageOf = (p: Plan, complete: boolean): Json => {
    const candidates = complete ? p.candidates.reduce((s, c) => s + c.tokens, 0) : 0;
    const thoughts = complete ? p.thoughtTokens : 0;
    return {
      promptTokenCount: p.promptTokens,
      ...(candidates > 0 && { candidatesTokenCount: candidates }),
      totalTokenCount: p.promptTokens + candidates + thoughts,
      ...(p.cachedTokens > 0 && { cachedContentTokenCount: p.cachedTokens }),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: p.promptTokens }],
      ...(p.cachedTokens > 0 && { cacheTokensDetails: [{ modality: 'TEXT', tokenCount: p.cachedTokens }] }),
      ...(thoughts > 0 && { thoughtsTokenCount: thoughts }),
    };
  };

  const envelope = (api: GoogleApi, model: string, responseId: string, rest: Json): Json => ({
    ...rest,
    modelVersion: model,
    ...(api === 'vertex' && { createTime: new Date().toISOString() }),
    responseId,
  });

  const safetyRatings = [
    { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
    { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
  ];

  /** The whole answer as one GenerateContentResponse. */
  const wholeAnswer = (api: GoogleApi, model: string, p: Plan, responseId: string): Json => {
    if (p.blocked) {
      return envelope(api, model, responseId, {
        promptFeedback: { blockReason: 'SAFETY', safetyRatings },
        usageMetadata: usageOf(p, false),
      });
    }
    return envelope(api, model, responseId, {
      candidates: p.candidates.map((c, index) => {
        const parts = c.chunks.flat();
        // Consecutive text pieces are one part in a whole answer; thoughts and calls stay separate.
        const merged: Part[] = [];
        for (const part of parts) {
          const prev = merged.at(-1);
          if (
            prev !== undefined &&
            typeof prev.text === 'string' &&
            !prev.thought &&
            typeof part.text === 'string' &&
            !part.thought &&
            prev.thoughtSignature === undefined
          ) {
            prev.text += part.text;
            if (part.thoughtSignature !== undefined) prev.thoughtSignature = part.thoughtSignature;
          } else merged.push({ ...part });
        }
        return {
          ...(merged.length > 0 && { content: { parts: merged, role: 'model' } }),
          finishReason: c.finishReason,
          ...(c.finishReason === 'SAFETY' && { safetyRatings }),
          index,
        };
      }),
      usageMetadata: usageOf(p, true),
    });
  };

  /** The answer as a stream's GenerateContentResponse chunks. */
  const streamedAnswer = (api: GoogleApi, model: string, p: Plan, responseId: string): Json[] => {
    if (p.blocked) return [wholeAnswer(api, model, p, responseId)];
    const rounds = Math.max(...p.candidates.map((c) => c.chunks.length), 1);
    const out: Json[] = [];
    for (let r = 0; r < rounds; r++) {
      const lastRound = r === rounds - 1;
      const candidates = p.candidates.flatMap((c, index) => {
        const parts = c.chunks[r];
        if (parts === undefined && !lastRound) return [];
        return [
          {
            ...(parts !== undefined && { content: { parts, role: 'model' } }),
            ...(lastRound && { finishReason: c.finishReason }),
            ...(lastRound && c.finishReason === 'SAFETY' && { safetyRatings }),
            index,
          },
        ];
      });
      out.push(envelope(api, model, responseId, { candidates, usageMetadata: usageOf(p, lastRound) }));
    }
    return out;
  };

  // ---------------------------------------------------------------- errors by trigger

  const triggered = (
    api: GoogleApi,
    model: string,
    trigger: string,
    promptTokens: number,
    project?: string,
    location?: string,
  ): GoogleApiError | undefined => {
    switch (trigger) {
      case '429':
        return api === 'gemini'
          ? new GoogleApiError(
              429,
              'RESOURCE_EXHAUSTED',
              'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
              [
                {
                  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                  violations: [
                    {
                      quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                      quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                      quotaDimensions: { location: 'global', model },
                      quotaValue: '10',
                    },
                  ],
                },
                {
                  '@type': 'type.googleapis.com/google.rpc.Help',
                  links: [
                    {
                      description: 'Learn more about Gemini API quotas',
                      url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
                    },
                  ],
                },
                { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
              ],
            )
          : new GoogleApiError(
              429,
              'RESOURCE_EXHAUSTED',
              'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
            );
      case '500':
        return new GoogleApiError(
          500,
          'INTERNAL',
          'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        );
      case '503':
        return new GoogleApiError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
      case '504':
        return new GoogleApiError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');
      case '404':
        return api === 'gemini'
          ? new GoogleApiError(
              404,
              'NOT_FOUND',
              `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
            )
          : publisherModelNotFound({ project: project!, location: location!, publisher: 'google', model });
      case 'context':
        return invalid(
          `The input token count (${promptTokens + maxInput}) exceeds the maximum number of tokens allowed (${maxInput}).`,
        );
      default:
        return undefined;
    }
  };

  // ---------------------------------------------------------------- generateContent

  const generate = (
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    route: {
      api: GoogleApi;
      model: string;
      method: 'generateContent' | 'streamGenerateContent';
      project?: string;
      location?: string;
      query: URLSearchParams;
    },
  ): void => {
    requests++;
    const { api, model, method, query } = route;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = raw;
    }
    lastRequest = {
      api,
      method,
      model,
      ...(route.project !== undefined && { project: route.project, location: route.location }),
      url: req.url ?? '',
      headers: req.headers,
      body: parsed,
    };

    if (api === 'gemini') {
      const key = (req.headers['x-goog-api-key'] as string | undefined) ?? query.get('key') ?? '';
      if (key === '') {
        return sendError(
          res,
          new GoogleApiError(
            403,
            'PERMISSION_DENIED',
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          ),
        );
      }
      if (opts.apiKey !== undefined && key !== opts.apiKey) {
        return sendError(
          res,
          new GoogleApiError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'generativelanguage.googleapis.com' },
            },
            {
              '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
              locale: 'en-US',
              message: 'API key not valid. Please pass a valid API key.',
            },
          ]),
        );
      }
    } else {
      const denied = vertexCaller(req, {
        project: route.project!,
        location: route.location!,
        publisher: 'google',
        model,
        rpc: 'GenerateContent',
      });
      if (denied !== undefined) return sendError(res, denied);
    }

    const checked = validate(api, model, raw);
    if (checked instanceof GoogleApiError) return sendError(res, checked);
    const body = checked;
    const last = model.split('-').slice(-1)[0] ?? '';
    const trigger = model.endsWith('-stream-error') ? 'stream-error' : TRIGGERS.has(last) ? last : undefined;
    const promptTokens = promptTokensOf(body);
    const refusal =
      trigger !== undefined
        ? triggered(api, model, trigger, promptTokens, route.project, route.location)
        : promptTokens > maxInput
          ? invalid(
              `The input token count (${promptTokens}) exceeds the maximum number of tokens allowed (${maxInput}).`,
            )
          : undefined;
    if (refusal !== undefined) return sendError(res, refusal);
    if (trigger === 'drop' && method === 'generateContent') {
      req.socket.destroy();
      return;
    }

    const p = plan(model, body, trigger);
    if (trigger !== 'drop' && trigger !== 'stream-error') reported.push({ body, usage: usageOf(p, true) });
    const responseId = randomBytes(12).toString('base64url');
    const delay = trigger === 'slow' ? FAKE_GEMINI_SLOW_MS : latencyMs;
    later(delay, () => {
      if (res.destroyed) return;
      if (method === 'generateContent') return sendJson(res, 200, wholeAnswer(api, model, p, responseId));
      const chunks = streamedAnswer(api, model, p, responseId);
      const sse = query.get('alt') === 'sse';
      res.writeHead(200, {
        'content-type': sse ? 'text/event-stream' : 'application/json; charset=UTF-8',
        vary: 'Origin, X-Origin, Referer',
        'x-content-type-options': 'nosniff',
      });
      // SSE events end with \r\n\r\n, as Google's do; without alt=sse the stream is one JSON array.
      const frame = (c: Json, i: number): string =>
        sse ? `data: ${JSON.stringify(c)}\r\n\r\n` : `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(c, null, 2)}`;
      if (trigger === 'drop') {
        res.write(chunks.slice(0, 2).map(frame).join(''), () => res.socket?.destroy());
        return;
      }
      if (trigger === 'stream-error') {
        const error = new GoogleApiError(
          500,
          'INTERNAL',
          'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        ).body();
        res.end(
          `${chunks.slice(0, 2).map(frame).join('')}${sse ? `data: ${JSON.stringify(error)}\r\n\r\n` : `,\r\n${JSON.stringify(error)}]`}`,
        );
        return;
      }
      res.end(chunks.map(frame).join('') + (sse ? '' : ']'));
    });
  };

  // ---------------------------------------------------------------- Claude on Vertex AI (publisher anthropic)

  /**
   * rawPredict / streamRawPredict of an Anthropic model: Vertex's own checks (caller, model at the location,
   * the project's quota) answer in Google's error shape; past them the body is Anthropic's Messages API
   * (createFakeAnthropicMessages, in its Vertex dialect), whose refusals keep Anthropic's error shape.
   * `count-tokens:rawPredict` is the token counter (its body names the model).
   */
  const claudeOnVertex = (
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    route: { project: string; location: string; model: string; method: 'rawPredict' | 'streamRawPredict' },
  ): void => {
    claudeRequests++;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    lastClaudeRequest = { ...route, url: req.url ?? '', headers: req.headers, body };
    const rpc = route.method === 'rawPredict' ? 'RawPredict' : 'StreamRawPredict';
    const denied = vertexCaller(req, { ...route, publisher: 'anthropic', rpc });
    if (denied !== undefined) return sendError(res, denied);
    if (route.model === 'count-tokens' && route.method === 'rawPredict') {
      const named = (body as Json | null)?.['model'];
      return claude.handle(req, res, body, {
        endpoint: 'count_tokens',
        dialect: 'vertex',
        model: typeof named === 'string' ? named : '',
      });
    }
    if (!servesClaude(route.model, route.location)) {
      return sendError(res, publisherModelNotFound({ ...route, publisher: 'anthropic' }));
    }
    const base = route.model.split('@')[0]!;
    const trigger = base.startsWith('claude-fake-') ? base.slice('claude-'.length) : undefined;
    if (trigger === 'fake-429') {
      // Vertex meters Claude per project and base model: its quota refusal, never Anthropic's rate_limit_error.
      return sendError(
        res,
        new GoogleApiError(
          429,
          'RESOURCE_EXHAUSTED',
          `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-${base}. Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.`,
        ),
      );
    }
    // Answers name the model as Anthropic does (claude-sonnet-4-5-20250929), not Vertex's id with `@`.
    claude.handle(req, res, body, {
      endpoint: 'messages',
      dialect: 'vertex',
      model: route.model.replace('@', '-'),
      trigger,
    });
  };

  // ---------------------------------------------------------------- embeddings

  /**
   * Embeddings: the Gemini API's embedContent / batchEmbedContents (API key as for generateContent) and
   * Vertex AI's predict for Google's text embedding models (a service-account token for the project), each
   * validated by fake-embeddings.ts.
   */
  const embed = (
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    route: {
      api: GoogleApi;
      model: string;
      method: 'embedContent' | 'batchEmbedContents' | 'predict';
      project?: string;
      location?: string;
      query: URLSearchParams;
    },
  ): void => {
    requests++;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    lastRequest = {
      api: route.api,
      method: route.method,
      model: route.model,
      ...(route.project !== undefined && { project: route.project, location: route.location }),
      url: req.url ?? '',
      headers: req.headers,
      body,
    };
    if (route.api === 'gemini') {
      const key = (req.headers['x-goog-api-key'] as string | undefined) ?? route.query.get('key') ?? '';
      if (key === '')
        return sendError(
          res,
          new GoogleApiError(
            403,
            'PERMISSION_DENIED',
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          ),
        );
      if (opts.apiKey !== undefined && key !== opts.apiKey)
        return sendError(
          res,
          new GoogleApiError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'),
        );
    } else {
      const denied = vertexCaller(req, {
        project: route.project!,
        location: route.location!,
        publisher: 'google',
        model: route.model,
        rpc: 'Predict',
      });
      if (denied !== undefined) return sendError(res, denied);
    }
    if (typeof body === 'string')
      return sendError(res, new GoogleApiError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    try {
      const answer =
        route.method === 'embedContent'
          ? geminiEmbedContentAnswer(body, route.model)
          : route.method === 'batchEmbedContents'
            ? geminiBatchEmbedAnswer(body, route.model)
            : vertexPredictEmbeddingsAnswer(body);
      sendJson(res, 200, answer);
    } catch (e) {
      if (!(e instanceof FakeRefusal)) throw e;
      sendJson(res, e.status, e.body);
    }
  };

  // ---------------------------------------------------------------- routing

  const GEMINI_EMBED_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(embedContent|batchEmbedContents)$/;
  const VERTEX_PREDICT_PATH =
    /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):predict$/;

  const GEMINI_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
  const VERTEX_PATH =
    /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
  const VERTEX_CLAUDE_PATH =
    /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;

  const notFound = (res: ServerResponse, path: string): void => {
    const html = `<!DOCTYPE html>\n<html lang=en>\n<title>Error 404 (Not Found)!!1</title>\n<p><b>404.</b> <ins>That’s an error.</ins>\n<p>The requested URL <code>${path.replace(/[<>&]/g, '')}</code> was not found on this server. <ins>That’s all we know.</ins>\n`;
    sendText(res, 404, html, { 'content-type': 'text/html; charset=UTF-8' });
  };

  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://fake');
    readBody(req, (raw) => {
      if (req.method !== 'POST') return notFound(res, target.pathname);
      if (target.pathname === '/token') return token(res, raw);
      const g = GEMINI_PATH.exec(target.pathname);
      if (g !== null) {
        return generate(req, res, raw, {
          api: 'gemini',
          model: g[2]!,
          method: g[3] as 'generateContent',
          query: target.searchParams,
        });
      }
      const v = VERTEX_PATH.exec(target.pathname);
      if (v !== null) {
        return generate(req, res, raw, {
          api: 'vertex',
          project: decodeURIComponent(v[2]!),
          location: decodeURIComponent(v[3]!),
          model: v[4]!,
          method: v[5] as 'generateContent',
          query: target.searchParams,
        });
      }
      const ge = GEMINI_EMBED_PATH.exec(target.pathname);
      if (ge !== null) {
        return embed(req, res, raw, {
          api: 'gemini',
          model: ge[2]!,
          method: ge[3] as 'embedContent',
          query: target.searchParams,
        });
      }
      const vp = VERTEX_PREDICT_PATH.exec(target.pathname);
      if (vp !== null) {
        return embed(req, res, raw, {
          api: 'vertex',
          project: decodeURIComponent(vp[2]!),
          location: decodeURIComponent(vp[3]!),
          model: vp[4]!,
          method: 'predict',
          query: target.searchParams,
        });
      }
      const c = VERTEX_CLAUDE_PATH.exec(target.pathname);
      if (c !== null) {
        return claudeOnVertex(req, res, raw, {
          project: decodeURIComponent(c[2]!),
          location: decodeURIComponent(c[3]!),
          model: decodeURIComponent(c[4]!),
          method: c[5] as 'rawPredict',
        });
      }
      notFound(res, target.pathname);
    });
  });
  const port = await listen(server, opts.port);
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    reported,
    get requests() {
      return requests;
    },
    get tokenRequests() {
      return tokenRequests;
    },
    get tokensIssued() {
      return tokensIssued;
    },
    get lastRequest() {
      return lastRequest;
    },
    get claudeRequests() {
      return claudeRequests;
    },
    get lastClaudeRequest() {
      return lastClaudeRequest;
    },
    revokeTokens(clientEmail) {
      let revoked = 0;
      for (const [t, issued] of tokens) {
        if (clientEmail !== undefined && issued.email !== clientEmail) continue;
        tokens.delete(t);
        revoked++;
      }
      return revoked;
    },
    createServiceAccount(o = {}) {
      const projectId = o.projectId ?? 'switchyard-test';
      const name = o.name ?? `sa-${randomBytes(3).toString('hex')}`;
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const email = `${name}@${projectId}.iam.gserviceaccount.com`;
      const keyId = createHash('sha1')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex');
      accounts.set(email, {
        publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
        keyId,
        projectId,
      });
      const key: FakeServiceAccount['key'] = {
        type: 'service_account',
        project_id: projectId,
        private_key_id: keyId,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: `${url}/token`,
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
        universe_domain: 'googleapis.com',
      };
      return { key, json: JSON.stringify(key, null, 2) };
    },
    close: () =>
      closeServer(server, () => {
        timers.clear();
        claude.close();
      }),
  };
}
