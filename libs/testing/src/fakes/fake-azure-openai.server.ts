import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createFakeChatAnswerer, type ChatBody, type FakeOpenAIOptions } from '../fake-openai.server';
import { closeServer, listen, readBody } from './fake-http';
import { FakeRefusal, openAIEmbeddingsAnswer } from './fake-embeddings';

/**
 * A fake Azure OpenAI resource: OpenAI's Chat Completions at Azure's URLs, with Azure's authentication,
 * content-filter annotations and error bodies, plus the Entra ID token endpoint. Answers come from the
 * fake OpenAI server's logic (createFakeChatAnswerer), so every `fake-*` trigger model works here too
 * (fake-500, fake-503, fake-drop, fake-slow...), named as the Azure deployment.
 *
 * Endpoints:
 * - POST /openai/deployments/{deployment}/chat/completions?api-version=... : the deployment in the path is
 *   the model; without `api-version` Azure answers 404 `Resource not found`, and so does this fake;
 * - POST /openai/v1/chat/completions (optional `api-version=preview|latest`): the body's `model` is the
 *   deployment;
 * - POST /{tenant}/oauth2/v2.0/token : Entra ID's client-credentials flow, issuing JWT-shaped tokens that
 *   last `tokenLifetimeS`.
 * Auth: `api-key: <key>`, or `Authorization: Bearer <an issued, unexpired token>`; the v1 API also takes
 * the key as a bearer, as Azure's does. Anything else is a 401 in Azure's words.
 *
 * Azure habits reproduced: a stream opens with a `choices: []` chunk of `prompt_filter_results`; every
 * choice carries `content_filter_results`; a whole answer carries `prompt_filter_results`.
 * Trigger deployments (besides the fake OpenAI ones):
 * - azure-content-filter → 400 code `content_filter`, innererror `ResponsibleAIPolicyViolation`
 * - azure-filtered-output → the answer is cut by the output filter: finish_reason `content_filter`
 * - azure-429 → 429 with `retry-after-ms: 1500` and `retry-after: 2`
 * - azure-context → 400 `context_length_exceeded` ("This model's maximum context length is ...")
 */
export interface FakeAzureOpenAIOptions extends FakeOpenAIOptions {
  /** The resource key (`api-key`); default: any non-empty key. */
  apiKey?: string;
  /** The service principal the token endpoint accepts; default: any client. */
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued tokens, seconds (Entra ID's is about an hour). Default 3599. */
  tokenLifetimeS?: number;
}

export interface FakeAzureRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeAzureOpenAI {
  /** The resource endpoint, e.g. http://127.0.0.1:40123: use as api_base (and as AZURE_AUTHORITY_HOST). */
  readonly url: string;
  readonly port: number;
  /** Chat requests received (all outcomes). */
  readonly requests: number;
  readonly aborted: number;
  /** Token requests received (all outcomes). */
  readonly tokenRequests: number;
  readonly lastRequest?: FakeAzureRequest;
  readonly lastTokenRequest?: FakeAzureRequest;
  close(): Promise<void>;
}

const SAFE = { filtered: false, severity: 'safe' };
const CONTENT_FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: { ...CONTENT_FILTER_RESULTS, jailbreak: { filtered: false, detected: false } },
  },
];

const KEY_REFUSED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
const TOKEN_REFUSED =
  'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.';

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export async function startFakeAzureOpenAI(opts: FakeAzureOpenAIOptions = {}): Promise<FakeAzureOpenAI> {
  const answerer = createFakeChatAnswerer(opts, {
    choiceExtra: { content_filter_results: CONTENT_FILTER_RESULTS },
    completionExtra: () => ({ prompt_filter_results: PROMPT_FILTER_RESULTS }),
    streamPreamble: () => [
      `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS })}\n\n`,
    ],
  });
  const lifetimeS = opts.tokenLifetimeS ?? 3599;
  /** Issued tokens → expiry (epoch ms). */
  const tokens = new Map<string, number>();
  let tokenRequests = 0;
  let lastRequest: FakeAzureRequest | undefined;
  let lastTokenRequest: FakeAzureRequest | undefined;

  const azureError = (res: ServerResponse, status: number, code: string, message: string, extra = {}) =>
    answerer.sendJson(res, status, { error: { code, message } }, extra);

  const authorised = (req: IncomingMessage, v1: boolean): 'ok' | 'key' | 'token' => {
    const key = req.headers['api-key'];
    if (typeof key === 'string') {
      return key.length > 0 && (opts.apiKey === undefined || key === opts.apiKey) ? 'ok' : 'key';
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    const expiry = tokens.get(bearer);
    if (expiry !== undefined && expiry > Date.now()) return 'ok';
    if (v1 && bearer.length > 0 && opts.apiKey !== undefined && bearer === opts.apiKey) return 'ok';
    return bearer.length > 0 ? 'token' : 'key';
  };

  const chat = (req: IncomingMessage, res: ServerResponse, raw: string, v1: boolean, deployment?: string): void => {
    const exchange = answerer.begin(res);
    let body: ChatBody;
    try {
      body = JSON.parse(raw) as ChatBody;
    } catch {
      lastRequest = { method: 'POST', url: req.url ?? '', headers: req.headers, body: raw };
      return answerer.sendError(
        res,
        400,
        'We could not parse the JSON body of your request.',
        'invalid_request_error',
        null,
      );
    }
    lastRequest = { method: 'POST', url: req.url ?? '', headers: req.headers, body };
    const auth = authorised(req, v1);
    if (auth !== 'ok') return azureError(res, 401, '401', auth === 'key' ? KEY_REFUSED : TOKEN_REFUSED);
    const model = deployment ?? body.model;
    if (typeof model !== 'string' || model.length === 0 || !Array.isArray(body.messages)) {
      return answerer.sendError(
        res,
        400,
        "Missing required parameter: 'messages' (and 'model' on the v1 API).",
        'invalid_request_error',
        'missing_required_parameter',
        'messages',
      );
    }
    switch (model) {
      case 'azure-content-filter':
        return answerer.sendJson(res, 400, {
          error: {
            message:
              "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
            innererror: {
              code: 'ResponsibleAIPolicyViolation',
              content_filter_result: {
                ...CONTENT_FILTER_RESULTS,
                violence: { filtered: true, severity: 'high' },
                jailbreak: { filtered: false, detected: false },
              },
            },
          },
        });
      case 'azure-429':
        return azureError(
          res,
          429,
          '429',
          'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
          { 'retry-after-ms': '1500', 'retry-after': '2' },
        );
      case 'azure-context':
        return answerer.sendError(
          res,
          400,
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 131022 tokens. Please reduce the length of the messages.",
          'invalid_request_error',
          'context_length_exceeded',
          'messages',
        );
      case 'azure-filtered-output':
        return filteredAnswer(res, body, model);
    }
    answerer.answer(req, res, body, model, exchange);
  };

  /** The output filter stopped the answer after its first words. */
  const filteredAnswer = (res: ServerResponse, body: ChatBody, model: string): void => {
    const id = `chatcmpl-${randomBytes(6).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const filtered = { ...CONTENT_FILTER_RESULTS, violence: { filtered: true, severity: 'medium' } };
    const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };
    if (body.stream !== true) {
      return answerer.sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            content_filter_results: filtered,
            message: { role: 'assistant', content: 'I cannot', refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: 'content_filter',
          },
        ],
        usage,
        prompt_filter_results: PROMPT_FILTER_RESULTS,
      });
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...(includeUsage && { usage: null }), ...extra })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(
      `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS })}\n\n` +
        chunk([
          {
            index: 0,
            content_filter_results: {},
            delta: { role: 'assistant', content: '', refusal: null },
            logprobs: null,
            finish_reason: null,
          },
        ]) +
        chunk([
          {
            index: 0,
            content_filter_results: CONTENT_FILTER_RESULTS,
            delta: { content: 'I cannot' },
            logprobs: null,
            finish_reason: null,
          },
        ]) +
        chunk([
          { index: 0, content_filter_results: filtered, delta: {}, logprobs: null, finish_reason: 'content_filter' },
        ]) +
        (includeUsage ? chunk([], { usage }) : '') +
        'data: [DONE]\n\n',
    );
  };

  const token = (req: IncomingMessage, res: ServerResponse, raw: string, tenant: string): void => {
    tokenRequests++;
    const form = Object.fromEntries(new URLSearchParams(raw));
    lastTokenRequest = { method: 'POST', url: req.url ?? '', headers: req.headers, body: form };
    const refuse = (status: number, error: string, description: string) =>
      answerer.sendJson(res, status, {
        error,
        error_description: `${description}\r\nTrace ID: ${randomBytes(8).toString('hex')}\r\nTimestamp: ${new Date().toISOString()}`,
        error_codes: [status === 401 ? 7000215 : 70011],
        timestamp: new Date().toISOString(),
      });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      return refuse(
        400,
        'invalid_request',
        'AADSTS900144: The request body must contain the following parameter: grant_type.',
      );
    if (form['grant_type'] !== 'client_credentials')
      return refuse(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (!form['scope']?.endsWith('/.default'))
      return refuse(
        400,
        'invalid_scope',
        `AADSTS1002012: The provided value for scope ${form['scope'] ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
      );
    if (!form['client_id'] || (opts.clientId !== undefined && form['client_id'] !== opts.clientId))
      return refuse(
        400,
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${form['client_id'] ?? ''}' was not found in the directory '${tenant}'.`,
      );
    if (!form['client_secret'] || (opts.clientSecret !== undefined && form['client_secret'] !== opts.clientSecret))
      return refuse(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const now = Math.floor(Date.now() / 1000);
    const value = [
      base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256' })),
      base64url(
        JSON.stringify({
          aud: 'https://cognitiveservices.azure.com',
          tid: tenant,
          appid: form['client_id'],
          iat: now,
          exp: now + lifetimeS,
          jti: randomBytes(8).toString('hex'),
        }),
      ),
      randomBytes(24).toString('base64url'),
    ].join('.');
    tokens.set(value, Date.now() + lifetimeS * 1000);
    answerer.sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: lifetimeS,
      ext_expires_in: lifetimeS,
      access_token: value,
    });
  };

  /** Embeddings, on the deployments API (the deployment names the model) and the v1 API (the body does). */
  const embeddings = (
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    v1: boolean,
    deployment?: string,
  ): void => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    lastRequest = { method: 'POST', url: req.url ?? '', headers: req.headers, body };
    const auth = authorised(req, v1);
    if (auth !== 'ok') return azureError(res, 401, '401', auth === 'key' ? KEY_REFUSED : TOKEN_REFUSED);
    try {
      // The deployments API takes the model from the path; a `model` in the body is accepted and ignored there.
      const doc =
        deployment !== undefined && typeof body === 'object' && body !== null ? { ...body, model: deployment } : body;
      answerer.sendJson(res, 200, openAIEmbeddingsAnswer(doc));
    } catch (e) {
      if (!(e instanceof FakeRefusal)) throw e;
      answerer.sendJson(res, e.status, e.body);
    }
  };

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const embedPath = /^\/openai\/deployments\/([^/]+)\/embeddings$/.exec(u.pathname);
    if (req.method === 'POST' && embedPath !== null) {
      if (!u.searchParams.get('api-version')) {
        req.resume();
        return azureError(res, 404, '404', 'Resource not found');
      }
      return readBody(req, (raw) => embeddings(req, res, raw, false, decodeURIComponent(embedPath[1]!)));
    }
    if (req.method === 'POST' && u.pathname === '/openai/v1/embeddings')
      return readBody(req, (raw) => embeddings(req, res, raw, true));
    const deployments = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(u.pathname);
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(u.pathname);
    if (req.method === 'POST' && deployments !== null) {
      if (!u.searchParams.get('api-version')) {
        req.resume();
        return azureError(res, 404, '404', 'Resource not found');
      }
      return readBody(req, (raw) => chat(req, res, raw, false, decodeURIComponent(deployments[1]!)));
    }
    if (req.method === 'POST' && u.pathname === '/openai/v1/chat/completions') {
      const version = u.searchParams.get('api-version');
      if (version !== null && version !== 'preview' && version !== 'latest') {
        req.resume();
        return azureError(
          res,
          400,
          'BadRequest',
          `API version not supported: ${version}. The v1 API takes api-version=preview or latest, or none.`,
        );
      }
      return readBody(req, (raw) => chat(req, res, raw, true));
    }
    if (req.method === 'POST' && tokenPath !== null) {
      return readBody(req, (raw) => token(req, res, raw, decodeURIComponent(tokenPath[1]!)));
    }
    req.resume();
    azureError(res, 404, '404', 'Resource not found');
  });
  const port = await listen(server, opts.port);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return answerer.requests;
    },
    get aborted() {
      return answerer.aborted;
    },
    get tokenRequests() {
      return tokenRequests;
    },
    get lastRequest() {
      return lastRequest;
    },
    get lastTokenRequest() {
      return lastTokenRequest;
    },
    close: () => closeServer(server, () => answerer.close()),
  };
}
