import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, createFakeTimers, listen, readBodyBytes, sendJson } from './fake-http';
import { bedrockEmbeddingsAnswer, FakeRefusal } from './fake-embeddings';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { awsHeaders, baseModelId, encodeAwsEventStreamMessage, isAnthropicModel } from '@switchyard/providers';
import { createFakeAnthropicMessages } from './fake-anthropic.server';

/**
 * A fake AWS Bedrock runtime speaking the real Converse / ConverseStream wire format over HTTP (keep-alive),
 * for the SDK fidelity test, end-to-end tests and benches.
 *
 * Endpoints: POST /model/{modelId}/converse (JSON) and POST /model/{modelId}/converse-stream
 * (`application/vnd.amazon.eventstream`), the model id percent-encoded in the path; InvokeModel
 * (POST /model/{modelId}/invoke) for the embedding models and, with /invoke-with-response-stream and
 * /count-tokens, for Claude models (`anthropic.…`, `us.anthropic.…`): the Messages API as Bedrock serves it,
 * from the fake Anthropic's behaviour (createFakeAnthropicMessages, dialect `bedrock`; its trigger models as
 * `anthropic.fake-429`, `anthropic.fake-stream-error`, ...).
 *
 * Authentication, as AWS checks it: every request must carry a SigV4 Authorization header. The fake
 * recomputes the signature with @smithy/signature-v4 from the request's own signed headers, path, body and
 * x-amz-date, using the secret of the access key (FAKE_AWS_KEYS, or `keys`). An unknown access key, or a
 * temporary key without its session token, is 403 UnrecognizedClientException; a signature that does not
 * match (a wrong secret, a changed body) or is more than 5 minutes old is 403 InvalidSignatureException;
 * a credential scoped to another region or service likewise. Error bodies are `{"message": ...}` with the
 * exception in `x-amzn-ErrorType`, as Bedrock sends them.
 *
 * Validation, as strict as the API: unknown members anywhere (400 ValidationException naming them), types,
 * enums and ranges of every member the adapter writes, roles alternating from a user turn, toolUse and
 * toolResult blocks only with a toolConfig, a toolResult only answering a toolUse of the turn before, blank
 * text, bad image bytes, `thinking` only for Anthropic models and under maxTokens, reasoning sent back only
 * with the signature this fake gave it.
 *
 * Deterministic answers (inputTokens = ceil(characters of all text / 4), plus 100 per image):
 * - text: `chunks` pieces of "Hello from the fake Bedrock server." (outputTokens = pieces), prefixed with
 *   "I see N image(s). " when the last user turn has images; after a toolResult: "The tool answered: <text>";
 * - stopSequences cut the answer before the first match (stopReason stop_sequence); maxTokens below the
 *   piece count cuts it (max_tokens);
 * - tools given and the last turn is the user's: a toolUse of the chosen tool (toolChoice.tool, else the
 *   first tool) whose input is a sample of its schema (stopReason tool_use);
 * - outputConfig.textFormat json_schema: the answer is a sample of the schema, as JSON text;
 * - additionalModelRequestFields.thinking enabled: a reasoning block ("Thinking about it step by step.")
 *   with a signature first;
 * - cachePoint blocks: the prefix before the last one is written to the cache the first time
 *   (cacheWriteInputTokens) and read afterwards (cacheReadInputTokens); inputTokens excludes both.
 * Streams send messageStart, content block events (contentBlockStart for tool use only), messageStop and
 * metadata, each payload with Bedrock's random `p` padding member.
 *
 * Behaviour triggered by the model id:
 * - fake-throttle → 429 ThrottlingException (with `retry-after: 7`);  fake-quota → 400 ServiceQuotaExceededException
 * - fake-500 → 500 InternalServerException;  fake-503 → 503 ServiceUnavailableException
 * - fake-timeout → 408 ModelTimeoutException;  fake-model-error → 424 ModelErrorException
 * - fake-denied → 403 AccessDeniedException;  fake-404 → 404 ResourceNotFoundException
 * - fake-context → 400 ValidationException "Input is too long for requested model."
 * - fake-guardrail → 200 with stopReason guardrail_intervened
 * - fake-cut → stream: messageStart and one text delta, then the connection is destroyed; non-stream: destroyed
 * - fake-stream-throttle / fake-stream-error → stream: one text delta, then a throttlingException /
 *   modelStreamErrorException message
 * - fake-slow → waits 30 s before answering
 */

export interface FakeAwsKey {
  secretAccessKey: string;
  /** Temporary keys: requests must carry this x-amz-security-token. */
  sessionToken?: string;
}

/** The keys the fake accepts by default (shapes like AWS's, values of no use anywhere else). */
export const FAKE_AWS_KEYS: Readonly<Record<string, FakeAwsKey>> = {
  AKIAFAKEBEDROCK00001: { secretAccessKey: 'fakeBedrockSecret/0123456789+abcdefghijklmnop' },
  ASIAFAKEBEDROCK00002: {
    secretAccessKey: 'fakeBedrockTempSecret/9876543210+zyxwvutsrqp',
    sessionToken: 'FwoGZXIvYXdzEFakeSessionToken0123456789abcdefghijklmnopqrstuvwxyz==',
  },
};

export const FAKE_BEDROCK_REGION = 'us-east-1';
export const FAKE_BEDROCK_SLOW_MS = 30_000;

export interface FakeBedrockOptions {
  port?: number;
  /** The region credentials must be scoped to. Default us-east-1. */
  region?: string;
  keys?: Readonly<Record<string, FakeAwsKey>>;
  /** Content pieces per answer (= outputTokens). Default 5. */
  chunks?: number;
  /** Delay before the response headers, ms. Default 0. */
  latencyMs?: number;
}

export interface FakeBedrockRequest {
  operation: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream' | 'count-tokens';
  modelId: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeBedrock {
  /** The origin, e.g. http://127.0.0.1:40123: use as aws_bedrock_runtime_endpoint (or the SDK's endpoint). */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  /** Converse requests received (all outcomes, rejected ones included). */
  readonly requests: number;
  readonly lastRequest?: FakeBedrockRequest;
  close(): Promise<void>;
}

const PIECES = ['Hello', ' from', ' the', ' fake', ' Bedrock', ' server', '.'];
const REASONING = ['Thinking', ' about it', ' step by step.'];
const MAX_SKEW_MS = 5 * 60_000;

/** The signature this fake gives a reasoning text: clients must send it back unchanged. */
export function fakeReasoningSignature(text: string): string {
  return `fakesig_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Shapes of the Converse request, for strict validation (members and constraints from the API reference).

type Shape =
  | { k: 'struct'; members: Record<string, Shape>; required?: readonly string[] }
  | { k: 'union'; members: Record<string, Shape> }
  | { k: 'list'; member: Shape; min?: number; max?: number }
  | { k: 'map'; value: Shape }
  | { k: 'string'; enum?: readonly string[]; min?: number }
  | { k: 'number'; min?: number; max?: number; integer?: boolean }
  | { k: 'boolean' }
  | { k: 'document' }
  | { k: 'blob' };

const str = (min = 0, e?: readonly string[]): Shape => ({ k: 'string', min, ...(e && { enum: e }) });
const struct = (members: Record<string, Shape>, required: readonly string[] = []): Shape => ({
  k: 'struct',
  members,
  required,
});
const union = (members: Record<string, Shape>): Shape => ({ k: 'union', members });
const list = (member: Shape, min?: number, max?: number): Shape => ({ k: 'list', member, min, max });

const CACHE_POINT = struct({ type: str(1, ['default']), ttl: str(1, ['5m', '1h']) }, ['type']);
const IMAGE = struct(
  {
    format: str(1, ['png', 'jpeg', 'gif', 'webp']),
    source: union({ bytes: { k: 'blob' }, s3Location: struct({ uri: str(1), bucketOwner: str(1) }, ['uri']) }),
  },
  ['format', 'source'],
);
const TOOL_RESULT_CONTENT = union({ json: { k: 'document' }, text: str(), image: IMAGE });
const CONTENT_BLOCK = union({
  text: str(),
  image: IMAGE,
  toolUse: struct({ toolUseId: str(1), name: str(1), input: { k: 'document' } }, ['toolUseId', 'name', 'input']),
  toolResult: struct({ toolUseId: str(1), content: list(TOOL_RESULT_CONTENT), status: str(1, ['success', 'error']) }, [
    'toolUseId',
    'content',
  ]),
  cachePoint: CACHE_POINT,
  reasoningContent: union({
    reasoningText: struct({ text: str(), signature: str() }, ['text']),
    redactedContent: { k: 'blob' },
  }),
});
const CONVERSE_REQUEST = struct({
  messages: list(struct({ role: str(1, ['user', 'assistant']), content: list(CONTENT_BLOCK) }, ['role', 'content'])),
  system: list(union({ text: str(1), cachePoint: CACHE_POINT })),
  inferenceConfig: struct({
    maxTokens: { k: 'number', min: 1, integer: true },
    temperature: { k: 'number', min: 0, max: 1 },
    topP: { k: 'number', min: 0, max: 1 },
    stopSequences: list(str(1), 0, 2500),
  }),
  toolConfig: struct(
    {
      tools: list(
        union({
          toolSpec: struct(
            {
              name: str(1),
              description: str(1),
              inputSchema: union({ json: { k: 'document' } }),
              strict: { k: 'boolean' },
            },
            ['name', 'inputSchema'],
          ),
          cachePoint: CACHE_POINT,
        }),
        1,
      ),
      toolChoice: union({
        auto: struct({}),
        any: struct({}),
        tool: struct({ name: str(1) }, ['name']),
      }),
    },
    ['tools'],
  ),
  guardrailConfig: struct(
    { guardrailIdentifier: str(1), guardrailVersion: str(1), trace: str(1, ['enabled', 'disabled', 'enabled_full']) },
    ['guardrailIdentifier', 'guardrailVersion'],
  ),
  additionalModelRequestFields: { k: 'document' },
  additionalModelResponseFieldPaths: list(str(1)),
  requestMetadata: { k: 'map', value: str() },
  performanceConfig: struct({ latency: str(1, ['standard', 'optimized']) }),
  serviceTier: struct({ type: str(1, ['priority', 'default', 'flex', 'reserved']) }, ['type']),
  outputConfig: struct({
    textFormat: struct(
      {
        type: str(1, ['json_schema']),
        structure: union({
          jsonSchema: struct({ schema: str(1), name: str(1), description: str(1) }, ['schema']),
        }),
      },
      ['type', 'structure'],
    ),
  }),
});

class ValidationFailure extends Error {}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function check(value: unknown, shape: Shape, path: string): void {
  const fail = (constraint: string): never => {
    throw new ValidationFailure(
      `1 validation error detected: Value at '${path}' failed to satisfy constraint: ${constraint}`,
    );
  };
  switch (shape.k) {
    case 'struct':
    case 'union': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('Member must be an object');
      const o = value as Record<string, unknown>;
      const extra = Object.keys(o).filter((key) => !Object.hasOwn(shape.members, key));
      if (extra.length > 0) {
        throw new ValidationFailure(
          `Malformed input request: extraneous key [${extra.map((e) => (path ? `${path}.${e}` : e)).join(', ')}] is not permitted, please reformat your input and try again.`,
        );
      }
      const set = Object.keys(o).filter((key) => o[key] !== undefined && o[key] !== null);
      if (shape.k === 'union' && set.length !== 1)
        return fail(`Member must have exactly one of [${Object.keys(shape.members).join(', ')}] set`);
      if (shape.k === 'struct')
        for (const r of shape.required ?? [])
          if (o[r] === undefined || o[r] === null) fail(`Member '${r}' must not be null`);
      for (const key of set) check(o[key], shape.members[key]!, path ? `${path}.${key}` : key);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return fail('Member must be a list');
      if (shape.min !== undefined && value.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`);
      value.forEach((v, i) => check(v, shape.member, `${path}.${i + 1}.member`));
      return;
    }
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('Member must be a map');
      for (const [key, v] of Object.entries(value)) check(v, shape.value, `${path}.${key}`);
      return;
    case 'string':
      if (typeof value !== 'string') return fail('Member must be a string');
      if (shape.min !== undefined && value.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.enum !== undefined && !shape.enum.includes(value))
        fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('Member must be a number');
      if (shape.integer && !Number.isInteger(value)) fail('Member must be an integer');
      if (shape.min !== undefined && value < shape.min)
        fail(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max)
        fail(`Member must have value less than or equal to ${shape.max}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('Member must be a boolean');
      return;
    case 'blob':
      if (typeof value !== 'string' || !BASE64.test(value) || value.length % 4 !== 0)
        fail('Member must be base64-encoded bytes');
      return;
    case 'document':
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------

type Block = Record<string, unknown>;
interface Msg {
  role: 'user' | 'assistant';
  content: Block[];
}
interface ConverseBody {
  messages?: Msg[];
  system?: Block[];
  inferenceConfig?: { maxTokens?: number; stopSequences?: string[] };
  toolConfig?: {
    tools: Array<{ toolSpec?: { name: string; inputSchema: { json: unknown } } }>;
    toolChoice?: { tool?: { name: string }; any?: object; auto?: object };
  };
  additionalModelRequestFields?: Record<string, unknown>;
  outputConfig?: { textFormat: { structure: { jsonSchema: { schema: string } } } };
}

function isAnthropic(modelId: string): boolean {
  return /anthropic|claude/.test(modelId);
}

/** Semantic checks Bedrock (and the model behind it) make after the shape is right. */
function checkConversation(body: ConverseBody, modelId: string): void {
  const messages = body.messages ?? [];
  if (messages.length === 0) throw new ValidationFailure('The messages field is required and must not be empty.');
  if (messages[0]!.role !== 'user')
    throw new ValidationFailure(
      'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
    );
  const toolNames = new Set((body.toolConfig?.tools ?? []).flatMap((t) => (t.toolSpec ? [t.toolSpec.name] : [])));
  let previousToolUses = new Set<string>();
  messages.forEach((m, i) => {
    if (i > 0 && messages[i - 1]!.role === m.role)
      throw new ValidationFailure(
        'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
      );
    if (m.content.length === 0)
      throw new ValidationFailure(
        `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    const uses = new Set<string>();
    m.content.forEach((b, j) => {
      if (typeof b['text'] === 'string' && b['text'].trim() === '')
        throw new ValidationFailure(
          `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`,
        );
      const use = b['toolUse'] as { toolUseId: string; name: string } | undefined;
      const result = b['toolResult'] as { toolUseId: string } | undefined;
      if ((use !== undefined || result !== undefined) && body.toolConfig === undefined)
        throw new ValidationFailure(
          'The toolConfig field must be defined when using toolUse and toolResult content blocks.',
        );
      if (use !== undefined) {
        if (m.role !== 'assistant')
          throw new ValidationFailure(`messages.${i}.content.${j}: toolUse blocks belong to assistant messages.`);
        uses.add(use.toolUseId);
      }
      if (result !== undefined) {
        if (m.role !== 'user')
          throw new ValidationFailure(`messages.${i}.content.${j}: toolResult blocks belong to user messages.`);
        if (!previousToolUses.has(result.toolUseId))
          throw new ValidationFailure(
            `Expected toolResult blocks at messages.${i}.content for the following Ids: ${[...previousToolUses].join(', ') || '(none)'}, but found: ${result.toolUseId}`,
          );
      }
      const reasoning = b['reasoningContent'] as { reasoningText?: { text: string; signature?: string } } | undefined;
      if (reasoning?.reasoningText !== undefined) {
        if (m.role !== 'assistant')
          throw new ValidationFailure(`messages.${i}.content.${j}: reasoning belongs to assistant messages.`);
        const { text, signature } = reasoning.reasoningText;
        if (isAnthropic(modelId) && signature !== fakeReasoningSignature(text))
          throw new ValidationFailure(
            `The model returned the following errors: messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`,
          );
      }
    });
    previousToolUses = uses;
  });
  const choice = body.toolConfig?.toolChoice?.tool?.name;
  if (choice !== undefined && !toolNames.has(choice))
    throw new ValidationFailure(`The tool choice ${choice} is not one of the tools in toolConfig.`);
  const extra = body.additionalModelRequestFields;
  if (extra !== undefined) {
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra))
      throw new ValidationFailure('additionalModelRequestFields must be an object.');
    for (const key of Object.keys(extra)) {
      if (key !== 'thinking' || !isAnthropic(modelId))
        throw new ValidationFailure(
          `The model returned the following errors: extraneous key [${key}] is not permitted, please reformat your input and try again.`,
        );
    }
    const thinking = extra['thinking'] as { type?: unknown; budget_tokens?: unknown };
    if (thinking?.type === 'enabled') {
      const budget = thinking.budget_tokens;
      if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024)
        throw new ValidationFailure(
          'The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
        );
      const max = body.inferenceConfig?.maxTokens;
      if (max !== undefined && max <= budget)
        throw new ValidationFailure(
          'The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`.',
        );
      const forced = body.toolConfig?.toolChoice;
      if (forced?.any !== undefined || forced?.tool !== undefined)
        throw new ValidationFailure(
          'The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.',
        );
    }
  }
  const schema = body.outputConfig?.textFormat.structure.jsonSchema.schema;
  if (schema !== undefined) {
    try {
      JSON.parse(schema);
    } catch {
      throw new ValidationFailure('outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON.');
    }
  }
}

/** A deterministic value following a JSON schema (what a model asked to fill it would give). */
export function sampleOf(schema: unknown, depth = 0): unknown {
  if (schema === null || typeof schema !== 'object' || depth > 8) return null;
  const s = schema as Record<string, unknown>;
  if (s['const'] !== undefined) return s['const'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  for (const k of ['anyOf', 'oneOf', 'allOf'])
    if (Array.isArray(s[k]) && (s[k] as unknown[]).length > 0) return sampleOf((s[k] as unknown[])[0], depth + 1);
  const type = Array.isArray(s['type']) ? s['type'][0] : s['type'];
  switch (type) {
    case 'string':
      return 'fake';
    case 'integer':
      return 42;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [sampleOf(s['items'], depth + 1)];
    default: {
      const out: Record<string, unknown> = {};
      const props = s['properties'];
      if (props !== null && typeof props === 'object')
        for (const [k, v] of Object.entries(props as Record<string, unknown>)) out[k] = sampleOf(v, depth + 1);
      return out;
    }
  }
}

/** Characters of text a block carries (the token count's basis). */
function charsOf(b: Block): number {
  if (typeof b['text'] === 'string') return b['text'].length;
  const use = b['toolUse'] as { input?: unknown } | undefined;
  if (use !== undefined) return JSON.stringify(use.input ?? {}).length;
  const result = b['toolResult'] as { content?: Block[] } | undefined;
  if (result !== undefined) return (result.content ?? []).reduce((n, c) => n + charsOf(c), 0);
  const r = b['reasoningContent'] as { reasoningText?: { text: string } } | undefined;
  if (r?.reasoningText !== undefined) return r.reasoningText.text.length;
  if (b['json'] !== undefined) return JSON.stringify(b['json']).length;
  return 0;
}

interface Answer {
  reasoning: string[] | undefined;
  text: string[];
  toolUse: { toolUseId: string; name: string; input: unknown } | undefined;
  stopReason: string;
  usage: {
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
    cacheReadInputTokens?: number;
    cacheWriteInputTokens?: number;
  };
}

const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';
const CORAL_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.coral.service/';

export async function startFakeBedrock(opts: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const region = opts.region ?? FAKE_BEDROCK_REGION;
  const keys = opts.keys ?? FAKE_AWS_KEYS;
  const pieces = Array.from({ length: opts.chunks ?? 5 }, (_, i) => PIECES[i % PIECES.length]!);
  const latencyMs = opts.latencyMs ?? 0;
  const cache = new Map<string, number>();
  const signers = new Map<string, SignatureV4>();
  const timers = createFakeTimers();
  const later = timers.later;
  let requests = 0;
  let seq = 0;
  let lastRequest: FakeBedrockRequest | undefined;

  const sendError = (
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    extra: Record<string, string> = {},
    suffix = ERROR_TYPE_SUFFIX,
  ): void =>
    sendJson(
      res,
      status,
      { message },
      {
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': `${type}${suffix}`,
        ...extra,
      },
    );

  const signerFor = (accessKeyId: string, key: FakeAwsKey, scopeRegion: string): SignatureV4 => {
    const id = `${accessKeyId}/${scopeRegion}`;
    let signer = signers.get(id);
    if (signer === undefined) {
      signer = new SignatureV4({
        credentials: {
          accessKeyId,
          secretAccessKey: key.secretAccessKey,
          ...(key.sessionToken !== undefined && { sessionToken: key.sessionToken }),
        },
        region: scopeRegion,
        service: 'bedrock',
        sha256: Hash.bind(null, 'sha256'),
      });
      signers.set(id, signer);
    }
    return signer;
  };

  /** Checks the request's SigV4 signature; answers the AWS error and returns false when it is not valid. */
  const authenticate = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: Buffer,
  ): Promise<boolean> => {
    const denied = (type: string, message: string): false => {
      sendError(res, 403, type, message, {}, CORAL_SUFFIX);
      return false;
    };
    const auth = req.headers.authorization;
    const m =
      auth &&
      /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (!m) {
      return auth
        ? denied(
            'IncompleteSignatureException',
            `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${auth.split(' ')[0]}`,
          )
        : denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const [, accessKeyId, day, scopeRegion, service, signedHeaders, signature] = m;
    const key = keys[accessKeyId!];
    if (key === undefined)
      return denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (key.sessionToken !== undefined && req.headers['x-amz-security-token'] !== key.sessionToken)
      return denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (service !== 'bedrock')
      return denied('InvalidSignatureException', `Credential should be scoped to correct service: 'bedrock'. `);
    if (scopeRegion !== region)
      return denied('InvalidSignatureException', `Credential should be scoped to a valid region. `);
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!dm || !amzDate.startsWith(day!))
      return denied(
        'IncompleteSignatureException',
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    const at = Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!);
    if (Math.abs(Date.now() - at) > MAX_SKEW_MS)
      return denied(
        'InvalidSignatureException',
        `Signature expired: ${amzDate} is now earlier than the allowed clock skew.`,
      );
    const names = signedHeaders!.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date'))
      return denied('InvalidSignatureException', 'The request signature must sign the host and x-amz-date headers.');
    const headers: Record<string, string> = {};
    for (const name of names) {
      const v = req.headers[name];
      if (v === undefined)
        return denied(
          'InvalidSignatureException',
          `The request signature covers header ${name}, which the request does not have.`,
        );
      headers[name] = Array.isArray(v) ? v.join(',') : v;
    }
    const contentHash = headers['x-amz-content-sha256'];
    if (contentHash !== undefined && contentHash !== createHash('sha256').update(raw).digest('hex'))
      return denied(
        'InvalidSignatureException',
        'The provided x-amz-content-sha256 header does not match what was computed.',
      );
    const expected = await signerFor(accessKeyId!, key, scopeRegion!).sign(
      {
        method: req.method ?? 'POST',
        protocol: 'http:',
        hostname: headers['host']!,
        path,
        query: {},
        headers,
        body: raw,
      },
      { signingDate: new Date(at) },
    );
    const got = /Signature=([0-9a-f]{64})/.exec(String(expected.headers['authorization']))?.[1];
    if (got !== signature)
      return denied(
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    return true;
  };

  const answerOf = (body: ConverseBody, modelId: string): Answer => {
    const messages = body.messages!;
    const last = messages.at(-1)!;
    const extra = body.additionalModelRequestFields as { thinking?: { type?: string } } | undefined;
    const reasoning = extra?.thinking?.type === 'enabled' ? REASONING : undefined;

    // Prompt tokens, and the prefix before the last cache point.
    let chars = 0;
    let images = 0;
    let prefixChars = -1;
    const prefix = createHash('sha256');
    const visit = (b: Block): void => {
      if (b['cachePoint'] !== undefined) {
        prefixChars = chars;
        return;
      }
      if (b['image'] !== undefined) images++;
      chars += charsOf(b);
      prefix.update(JSON.stringify(b));
    };
    for (const b of body.system ?? []) visit(b);
    for (const m of messages) for (const b of m.content) visit(b);
    const total = Math.ceil(chars / 4) + images * 100;
    let cacheRead = 0;
    let cacheWrite = 0;
    if (prefixChars >= 0) {
      const tokens = Math.ceil(prefixChars / 4);
      const h = `${modelId}:${prefixChars}:${prefix.digest('hex')}`;
      if (cache.has(h)) cacheRead = tokens;
      else {
        cache.set(h, tokens);
        cacheWrite = tokens;
      }
    }
    const usage = (outputTokens: number) => ({
      inputTokens: total - cacheRead - cacheWrite,
      outputTokens,
      totalTokens: total + outputTokens,
      ...(prefixChars >= 0 && { cacheReadInputTokens: cacheRead, cacheWriteInputTokens: cacheWrite }),
    });
    const reasoningTokens = reasoning ? reasoning.length * 3 : 0;

    const tools = (body.toolConfig?.tools ?? []).flatMap((t) => (t.toolSpec ? [t.toolSpec] : []));
    const lastIsToolResult = last.content.some((b) => b['toolResult'] !== undefined);
    if (tools.length > 0 && !lastIsToolResult) {
      const name = body.toolConfig?.toolChoice?.tool?.name ?? tools[0]!.name;
      const spec = tools.find((t) => t.name === name)!;
      return {
        reasoning,
        text: [],
        toolUse: {
          toolUseId: `tooluse_fake${(++seq).toString(36).padStart(6, '0')}`,
          name,
          input: sampleOf(spec.inputSchema.json),
        },
        stopReason: 'tool_use',
        usage: usage(10 + reasoningTokens),
      };
    }

    let text: string[];
    const schema = body.outputConfig?.textFormat.structure.jsonSchema.schema;
    if (schema !== undefined) {
      const json = JSON.stringify(sampleOf(JSON.parse(schema)));
      const cut = Math.ceil(json.length / 2);
      text = [json.slice(0, cut), json.slice(cut)];
    } else if (lastIsToolResult) {
      const said = last.content
        .flatMap((b) => (b['toolResult'] as { content?: Block[] } | undefined)?.content ?? [])
        .map((c) => (typeof c['text'] === 'string' ? c['text'] : JSON.stringify(c['json'] ?? '')))
        .join(' ')
        .slice(0, 200);
      text = ['The tool answered: ', said];
    } else {
      const seen = last.content.filter((b) => b['image'] !== undefined).length;
      text = [...(seen > 0 ? [`I see ${seen} image${seen === 1 ? '' : 's'}. `] : []), ...pieces];
    }
    if (modelId === 'fake-guardrail') {
      return {
        reasoning: undefined,
        text: ['Sorry, the model cannot answer this question.'],
        toolUse: undefined,
        stopReason: 'guardrail_intervened',
        usage: usage(0),
      };
    }
    let stopReason = 'end_turn';
    const stops = body.inferenceConfig?.stopSequences ?? [];
    const joined = text.join('');
    let cutAt = -1;
    for (const s of stops) {
      const at = joined.indexOf(s);
      if (at !== -1 && (cutAt === -1 || at < cutAt)) cutAt = at;
    }
    if (cutAt !== -1) {
      const kept: string[] = [];
      let used = 0;
      for (const p of text) {
        if (used + p.length <= cutAt) kept.push(p);
        else if (used < cutAt) kept.push(p.slice(0, cutAt - used));
        used += p.length;
      }
      text = kept;
      stopReason = 'stop_sequence';
    }
    const max = body.inferenceConfig?.maxTokens;
    if (max !== undefined && max < text.length + reasoningTokens) {
      text = text.slice(0, Math.max(0, max - reasoningTokens));
      stopReason = 'max_tokens';
    }
    return { reasoning, text, toolUse: undefined, stopReason, usage: usage(text.length + reasoningTokens) };
  };

  const contentOf = (a: Answer): Block[] => {
    const out: Block[] = [];
    if (a.reasoning) {
      const text = a.reasoning.join('');
      out.push({ reasoningContent: { reasoningText: { text, signature: fakeReasoningSignature(text) } } });
    }
    if (a.text.length > 0) out.push({ text: a.text.join('') });
    if (a.toolUse) out.push({ toolUse: a.toolUse });
    return out;
  };

  let padding = 0;
  /** Bedrock's `p` member: random-length padding so event sizes do not give the content away. */
  const pad = (): string =>
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456'.slice(0, 1 + ((padding++ * 7) % 50));
  const event = (type: string, body: Record<string, unknown>): Uint8Array =>
    encodeAwsEventStreamMessage({
      headers: awsHeaders.event(type),
      payload: Buffer.from(JSON.stringify({ ...body, p: pad() })),
    });
  const exception = (type: string, message: string, extra: Record<string, unknown> = {}): Uint8Array =>
    encodeAwsEventStreamMessage({
      headers: awsHeaders.exception(type),
      payload: Buffer.from(JSON.stringify({ message, ...extra })),
    });

  const streamAnswer = (res: ServerResponse, a: Answer, modelId: string): void => {
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': randomUUID(),
    });
    const frames: Uint8Array[] = [event('messageStart', { role: 'assistant' })];
    let index = 0;
    if (a.reasoning) {
      for (const r of a.reasoning)
        frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { text: r } } }));
      frames.push(
        event('contentBlockDelta', {
          contentBlockIndex: index,
          delta: { reasoningContent: { signature: fakeReasoningSignature(a.reasoning.join('')) } },
        }),
      );
      frames.push(event('contentBlockStop', { contentBlockIndex: index++ }));
    }
    if (a.text.length > 0) {
      for (const t of a.text) frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta: { text: t } }));
      if (modelId === 'fake-cut') {
        res.write(Buffer.concat([frames[0]!, frames[1]!]), () => res.socket?.destroy());
        return;
      }
      if (modelId === 'fake-stream-throttle' || modelId === 'fake-stream-error') {
        const ex =
          modelId === 'fake-stream-throttle'
            ? exception('throttlingException', 'Too many tokens, please wait before trying again.')
            : exception('modelStreamErrorException', 'The model stream failed (fake-stream-error).', {
                originalStatusCode: 500,
                originalMessage: 'internal model failure',
              });
        res.end(Buffer.concat([frames[0]!, frames[1]!, ex]));
        return;
      }
      frames.push(event('contentBlockStop', { contentBlockIndex: index++ }));
    }
    if (a.toolUse) {
      const { toolUseId, name, input } = a.toolUse;
      frames.push(event('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } }));
      const json = JSON.stringify(input);
      const third = Math.ceil(json.length / 3);
      for (const part of [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)])
        if (part !== '')
          frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: part } } }));
      frames.push(event('contentBlockStop', { contentBlockIndex: index++ }));
    }
    frames.push(event('messageStop', { stopReason: a.stopReason }));
    frames.push(event('metadata', { usage: a.usage, metrics: { latencyMs: latencyMs + 1 } }));
    res.end(Buffer.concat(frames));
  };

  const TRIGGERS: Record<string, [number, string, string]> = {
    'fake-throttle': [429, 'ThrottlingException', 'Too many requests, please wait before trying again.'],
    'fake-quota': [400, 'ServiceQuotaExceededException', "You've reached the quota for tokens per day for this model."],
    'fake-500': [
      500,
      'InternalServerException',
      'The server encountered an internal error while processing the request.',
    ],
    'fake-503': [503, 'ServiceUnavailableException', 'Bedrock is unable to process your request.'],
    'fake-timeout': [
      408,
      'ModelTimeoutException',
      'Model has timed out in processing the request. Try your request again.',
    ],
    'fake-model-error': [424, 'ModelErrorException', 'The model returned an error: unexpected end of input.'],
    'fake-denied': [403, 'AccessDeniedException', "You don't have access to the model with the specified model ID."],
    'fake-404': [404, 'ResourceNotFoundException', 'Model not found.'],
    'fake-context': [400, 'ValidationException', 'Input is too long for requested model.'],
  };

  /**
   * InvokeModel for the embedding models (Titan Text Embeddings, Cohere Embed): SigV4-checked like Converse,
   * bodies validated by bedrockEmbeddingsAnswer (fake-embeddings.ts); the input token count in the
   * `x-amzn-bedrock-input-token-count` header, as Bedrock reports it.
   */
  const claude = createFakeAnthropicMessages({ latencyMs });
  const invoke = async (
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    rawModelId: string,
    operation: 'invoke' | 'invoke-with-response-stream' | 'count-tokens',
  ): Promise<void> => {
    requests++;
    const url = req.url ?? '/';
    let modelId: string;
    try {
      modelId = decodeURIComponent(rawModelId);
    } catch {
      return sendError(res, 400, 'ValidationException', 'The provided model identifier is invalid.');
    }
    let body: unknown = raw.toString('utf8');
    try {
      body = JSON.parse(body as string);
    } catch {
      // kept as text; refused below once the caller is authenticated
    }
    lastRequest = { operation, modelId, headers: req.headers, body };
    if (!(await authenticate(req, res, url.split('?')[0]!, raw))) return;
    if (isAnthropicModel(baseModelId(modelId))) return invokeClaude(req, res, body, modelId, operation);
    if (operation !== 'invoke') {
      return sendError(res, 400, 'ValidationException', `The model ${modelId} does not support ${operation}.`);
    }
    try {
      const answer = bedrockEmbeddingsAnswer(modelId, body);
      sendJson(res, 200, answer.body, {
        'x-amzn-requestid': randomUUID(),
        'x-amzn-bedrock-input-token-count': String(answer.inputTokens),
        'x-amzn-bedrock-invocation-latency': String(latencyMs + 1),
      });
    } catch (e) {
      if (!(e instanceof FakeRefusal)) throw e;
      sendError(res, e.status, 'ValidationException', (e.body as { message: string }).message);
    }
  };

  /** Claude through InvokeModel: the Messages API in Bedrock's dialect; CountTokens unwraps the body it counts. */
  const invokeClaude = (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    modelId: string,
    operation: 'invoke' | 'invoke-with-response-stream' | 'count-tokens',
  ): void => {
    const trigger = modelId.slice(modelId.indexOf('anthropic.') + 'anthropic.'.length);
    if (operation !== 'count-tokens') {
      const stream = operation === 'invoke-with-response-stream';
      return claude.handle(req, res, body, {
        endpoint: 'messages',
        dialect: 'bedrock',
        model: modelId,
        trigger,
        stream,
      });
    }
    const input = (body as { input?: { invokeModel?: { body?: unknown } } } | null)?.input;
    const members = input !== null && typeof input === 'object' ? Object.keys(input) : [];
    const inner = input?.invokeModel?.body;
    if (members.length !== 1 || typeof inner !== 'string') {
      return sendError(
        res,
        400,
        'ValidationException',
        'input: exactly one of invokeModel or converse is required, and invokeModel.body must be a base64 blob.',
      );
    }
    let counted: unknown;
    try {
      counted = JSON.parse(Buffer.from(inner, 'base64').toString('utf8'));
    } catch {
      return sendError(res, 400, 'ValidationException', 'The invokeModel body is not valid JSON.');
    }
    claude.handle(req, res, counted, { endpoint: 'count_tokens', dialect: 'bedrock', model: modelId, trigger });
  };

  const converse = async (req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> => {
    requests++;
    const url = req.url ?? '/';
    const m = /^\/model\/([^/?]+)\/(converse|converse-stream)(?:\?.*)?$/.exec(url);
    if (!m)
      return sendError(
        res,
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${url}.`,
        {},
        CORAL_SUFFIX,
      );
    let modelId: string;
    try {
      modelId = decodeURIComponent(m[1]!);
    } catch {
      return sendError(res, 400, 'ValidationException', 'The provided model identifier is invalid.');
    }
    const operation = m[2] as FakeBedrockRequest['operation'];
    let body: unknown = raw.toString('utf8');
    try {
      body = JSON.parse(body as string);
    } catch {
      // kept as text for lastRequest; refused below once the caller is authenticated
    }
    lastRequest = { operation, modelId, headers: req.headers, body };
    if (!(await authenticate(req, res, url.split('?')[0]!, raw))) return;
    if (typeof body === 'string')
      return sendError(res, 400, 'SerializationException', 'Start of structure or map found where not expected.');
    const trigger = TRIGGERS[modelId];
    if (trigger !== undefined) {
      return sendError(
        res,
        trigger[0],
        trigger[1],
        trigger[2],
        modelId === 'fake-throttle' ? { 'retry-after': '7' } : {},
      );
    }
    try {
      check(body, CONVERSE_REQUEST, '');
      checkConversation(body as ConverseBody, modelId);
    } catch (e) {
      if (e instanceof ValidationFailure) return sendError(res, 400, 'ValidationException', e.message);
      throw e;
    }
    if (modelId === 'fake-cut' && operation === 'converse') {
      req.socket.destroy();
      return;
    }
    const answer = answerOf(body as ConverseBody, modelId);
    later(modelId === 'fake-slow' ? FAKE_BEDROCK_SLOW_MS : latencyMs, () => {
      if (res.destroyed) return;
      if (operation === 'converse-stream') return streamAnswer(res, answer, modelId);
      sendJson(
        res,
        200,
        {
          metrics: { latencyMs: latencyMs + 1 },
          output: { message: { content: contentOf(answer), role: 'assistant' } },
          stopReason: answer.stopReason,
          usage: answer.usage,
        },
        { 'x-amzn-requestid': randomUUID() },
      );
    });
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      return sendError(
        res,
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${req.url}.`,
        {},
        CORAL_SUFFIX,
      );
    }
    const invokePath = /^\/model\/([^/?]+)\/(invoke|invoke-with-response-stream|count-tokens)(?:\?.*)?$/.exec(
      req.url ?? '/',
    );
    readBodyBytes(req, (raw) => {
      (invokePath !== null
        ? invoke(req, res, raw, invokePath[1]!, invokePath[2] as 'invoke')
        : converse(req, res, raw)
      ).catch((e: unknown) => {
        sendError(res, 500, 'InternalServerException', `fake-bedrock failed: ${(e as Error).message}`);
      });
    });
  });
  const port = await listen(server, opts.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    region,
    get requests() {
      return requests;
    },
    get lastRequest() {
      return lastRequest;
    },
    close: () =>
      closeServer(server, () => {
        timers.clear();
        claude.close();
      }),
  };
}
