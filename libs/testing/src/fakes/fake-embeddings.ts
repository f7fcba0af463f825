/**
 * The embeddings endpoints of the fake providers: each provider's request validated as strictly as its real
 * API (required members, allowed values, unknown members refused as that API refuses them), and deterministic
 * answers in its own shape, so tests can assert exact vectors and token counts.
 *
 * Vectors: `fakeEmbedding(text, dims)`, values k/1024 (exact in float32, so a base64 round trip returns the
 * very same numbers). Default size FAKE_EMBEDDING_DIMS. Tokens: ceil(characters / 4) per text input, one per
 * token id.
 */

export const FAKE_EMBEDDING_DIMS = 8;

/** The fake's vector for a text: deterministic, `dims` values in [-1, 1), each a multiple of 1/1024. */
export function fakeEmbedding(text: string, dims = FAKE_EMBEDDING_DIMS): number[] {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 65_521;
  return Array.from({ length: dims }, (_, i) => (((h + i * 37) % 2048) - 1024) / 1024);
}

export function fakeEmbeddingTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A request the fake refuses: the status and the provider's own error body. */
export class FakeRefusal {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTokenId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

// ------------------------------------------------------------------ OpenAI (and Azure OpenAI)

const OPENAI_MEMBERS = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user']);

function openAIError(message: string, param: string | null, code: string | null = null): FakeRefusal {
  return new FakeRefusal(400, { error: { message, type: 'invalid_request_error', param, code } });
}

/**
 * OpenAI's `POST /v1/embeddings`: model and input required; input a non-empty string, array of strings, token
 * ids or token-id arrays (at most 2048); `dimensions` only for text-embedding-3 models; `encoding_format` float or
 * base64; any other member refused ("Unrecognized request argument supplied"). The answer's vectors are floats
 * or little-endian float32 in base64, as asked.
 */
export function openAIEmbeddingsAnswer(body: unknown, deployment?: string): unknown {
  if (!isObject(body)) throw openAIError('We could not parse the JSON body of your request.', null);
  for (const k of Object.keys(body))
    if (!OPENAI_MEMBERS.has(k)) throw openAIError(`Unrecognized request argument supplied: ${k}`, null);
  const model = deployment ?? body['model'];
  if (typeof model !== 'string' || model.length === 0) throw openAIError('you must provide a model parameter', null);
  const input = body['input'];
  let items: Array<{ text?: string; tokens?: number[] }>;
  if (typeof input === 'string') items = [{ text: input }];
  else if (Array.isArray(input) && input.length > 0 && input.every((v) => typeof v === 'string'))
    items = (input as string[]).map((text) => ({ text }));
  else if (Array.isArray(input) && input.length > 0 && input.every(isTokenId)) items = [{ tokens: input as number[] }];
  else if (
    Array.isArray(input) &&
    input.length > 0 &&
    input.every((v) => Array.isArray(v) && v.length > 0 && v.every(isTokenId))
  )
    items = (input as number[][]).map((tokens) => ({ tokens }));
  else
    throw openAIError(
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
      'input',
    );
  if (items.length > 2048) throw openAIError(`'$.input' is too long. Maximum size: 2048.`, 'input');
  if (items.some((i) => i.text === '')) throw openAIError("'$.input' is invalid: an input is empty.", 'input');
  const format = body['encoding_format'] ?? 'float';
  if (format !== 'float' && format !== 'base64')
    throw openAIError(`'${String(format)}' is not one of ['float', 'base64'] - 'encoding_format'`, 'encoding_format');
  const dims = body['dimensions'];
  if (dims !== undefined) {
    if (!/^text-embedding-3/.test(model) && !/^fake-embed/.test(model))
      throw openAIError('This model does not support specifying dimensions.', 'dimensions');
    if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1)
      throw openAIError(
        `Invalid value for 'dimensions' = ${String(dims)}. Must be greater than or equal to 1.`,
        'dimensions',
      );
  }
  const user = body['user'];
  if (user !== undefined && typeof user !== 'string') throw openAIError("'$.user' is invalid.", 'user');
  let tokens = 0;
  const data = items.map((item, index) => {
    const text = item.text ?? item.tokens!.join(' ');
    tokens += item.text !== undefined ? fakeEmbeddingTokens(item.text) : item.tokens!.length;
    const v = fakeEmbedding(text, typeof dims === 'number' ? dims : FAKE_EMBEDDING_DIMS);
    return { object: 'embedding', index, embedding: format === 'base64' ? float32Base64(v) : v };
  });
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function float32Base64(v: readonly number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

// ------------------------------------------------------------------ Gemini API and Vertex AI

function googleInvalid(message: string): FakeRefusal {
  return new FakeRefusal(400, { error: { code: 400, message, status: 'INVALID_ARGUMENT' } });
}

function unknownField(name: string, where = ''): FakeRefusal {
  return googleInvalid(
    `Invalid JSON payload received. Unknown name "${name}"${where === '' ? '' : ` at '${where}'`}: Cannot find field.`,
  );
}

const TASK_TYPES = new Set([
  'TASK_TYPE_UNSPECIFIED',
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
]);
const EMBED_CONTENT_MEMBERS = new Set(['model', 'content', 'taskType', 'title', 'outputDimensionality']);

/** One EmbedContentRequest of the Gemini API; its text. */
function geminiEmbedRequest(
  r: unknown,
  model: string,
  where: string,
  modelRequired: boolean,
): { text: string; dims?: number } {
  if (!isObject(r)) throw googleInvalid(`Invalid value at '${where}': expected an EmbedContentRequest object.`);
  for (const k of Object.keys(r)) if (!EMBED_CONTENT_MEMBERS.has(k)) throw unknownField(k, where);
  const m = r['model'];
  if (m === undefined ? modelRequired : m !== `models/${model}`)
    throw googleInvalid(`* BatchEmbedContentsRequest.model: unexpected model name format\n`);
  const content = r['content'];
  if (!isObject(content) || !Array.isArray(content['parts']) || content['parts'].length === 0)
    throw googleInvalid(
      `* ${where === '' ? 'EmbedContentRequest' : where}.content.parts: contents.parts must not be empty.\n`,
    );
  let text = '';
  for (const p of content['parts'] as unknown[]) {
    if (!isObject(p) || typeof p['text'] !== 'string') throw googleInvalid('Only text parts can be embedded.');
    for (const k of Object.keys(p)) if (k !== 'text') throw unknownField(k, `${where}content.parts[0]`);
    text += p['text'];
  }
  if (text.length === 0) throw googleInvalid('* EmbedContentRequest.content: contents is not specified\n');
  const taskType = r['taskType'];
  if (taskType !== undefined && (typeof taskType !== 'string' || !TASK_TYPES.has(taskType)))
    throw googleInvalid(`Invalid value at '${where}task_type', "${String(taskType)}"`);
  const dims = r['outputDimensionality'];
  if (dims !== undefined && (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1))
    throw googleInvalid(`Invalid value at '${where}output_dimensionality' (TYPE_INT32), ${String(dims)}`);
  return { text, ...(typeof dims === 'number' && { dims }) };
}

/** The Gemini API's `models/{model}:embedContent` answer. */
export function geminiEmbedContentAnswer(body: unknown, model: string): unknown {
  const r = geminiEmbedRequest(body, model, '', false);
  return { embedding: { values: fakeEmbedding(r.text, r.dims) } };
}

/** The Gemini API's `models/{model}:batchEmbedContents` answer: each request must name the URL's model. */
export function geminiBatchEmbedAnswer(body: unknown, model: string): unknown {
  if (!isObject(body)) throw googleInvalid('Invalid JSON payload received.');
  for (const k of Object.keys(body)) if (k !== 'requests') throw unknownField(k);
  const requests = body['requests'];
  if (!Array.isArray(requests) || requests.length === 0)
    throw googleInvalid('* BatchEmbedContentsRequest.requests: requests must not be empty.\n');
  if (requests.length > 100)
    throw googleInvalid('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n');
  return {
    embeddings: requests.map((r, i) => {
      const one = geminiEmbedRequest(r, model, `requests[${i}].`, true);
      return { values: fakeEmbedding(one.text, one.dims) };
    }),
  };
}

const VERTEX_INSTANCE_MEMBERS = new Set(['content', 'task_type', 'title']);
const VERTEX_PARAMETER_MEMBERS = new Set(['outputDimensionality', 'autoTruncate']);

/**
 * Vertex AI's `publishers/google/models/{model}:predict` for text embedding models: `instances` of
 * `{content, task_type?, title?}` (at most 250), `parameters` `{outputDimensionality?, autoTruncate?}`;
 * each prediction reports `statistics.token_count`.
 */
export function vertexPredictEmbeddingsAnswer(body: unknown): unknown {
  if (!isObject(body)) throw googleInvalid('Invalid JSON payload received.');
  for (const k of Object.keys(body)) if (k !== 'instances' && k !== 'parameters') throw unknownField(k);
  const instances = body['instances'];
  if (!Array.isArray(instances) || instances.length === 0) throw googleInvalid('instances must not be empty.');
  if (instances.length > 250) throw googleInvalid('The number of instances exceeds the limit of 250.');
  const parameters = body['parameters'];
  let dims: number | undefined;
  if (parameters !== undefined) {
    if (!isObject(parameters)) throw googleInvalid('parameters must be an object.');
    for (const k of Object.keys(parameters))
      if (!VERTEX_PARAMETER_MEMBERS.has(k)) throw googleInvalid(`Unknown parameter: ${k}.`);
    const d = parameters['outputDimensionality'];
    if (d !== undefined) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1)
        throw googleInvalid('outputDimensionality must be a positive integer.');
      dims = d;
    }
  }
  let chars = 0;
  const predictions = instances.map((inst, i) => {
    if (!isObject(inst) || typeof inst['content'] !== 'string' || inst['content'].length === 0)
      throw googleInvalid(`instances[${i}].content must be a non-empty string.`);
    for (const k of Object.keys(inst))
      if (!VERTEX_INSTANCE_MEMBERS.has(k)) throw googleInvalid(`Unknown field in instances[${i}]: ${k}.`);
    const text = inst['content'];
    chars += text.length;
    return {
      embeddings: {
        statistics: { truncated: false, token_count: fakeEmbeddingTokens(text) },
        values: fakeEmbedding(text, dims),
      },
    };
  });
  return { predictions, metadata: { billableCharacterCount: chars } };
}

// ------------------------------------------------------------------ Bedrock (InvokeModel)

function bedrockValidation(message: string): FakeRefusal {
  return new FakeRefusal(400, { message });
}
const extraneous = (k: string): FakeRefusal =>
  bedrockValidation(
    `Malformed input request: #: extraneous key [${k}] is not permitted, please reformat your input and try again.`,
  );

const COHERE_INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering', 'image']);
const TRUNCATE = new Set(['NONE', 'START', 'END']);

/**
 * InvokeModel for Bedrock's embedding models, with each family's body: Amazon Titan Text Embeddings
 * (`inputText` required; v2 adds `dimensions` 256/512/1024, `normalize`, `embeddingTypes`) and Cohere Embed
 * (`texts` and `input_type` required, at most 96 texts; `truncate`, `embedding_types`; v4 adds
 * `output_dimension` 256/512/1024/1536). Extraneous keys are refused as Bedrock does. Returns the body and
 * the input token count (sent in `x-amzn-bedrock-input-token-count`).
 */
export function bedrockEmbeddingsAnswer(modelId: string, body: unknown): { body: unknown; inputTokens: number } {
  if (!isObject(body)) throw bedrockValidation('Malformed input request, please reformat your input and try again.');
  if (/amazon\.titan-embed-text/.test(modelId)) {
    const v2 = /titan-embed-text-v2/.test(modelId);
    const allowed = v2 ? ['inputText', 'dimensions', 'normalize', 'embeddingTypes'] : ['inputText'];
    for (const k of Object.keys(body)) if (!allowed.includes(k)) throw extraneous(k);
    const text = body['inputText'];
    if (typeof text !== 'string' || text.length === 0)
      throw bedrockValidation(
        'Malformed input request: #: required key [inputText] not found, please reformat your input and try again.',
      );
    const dims = body['dimensions'] ?? (v2 ? 1024 : 1536);
    if (v2 && dims !== 256 && dims !== 512 && dims !== 1024)
      throw bedrockValidation(
        `Malformed input request: #/dimensions: ${String(dims)} is not a valid enum value, please reformat your input and try again.`,
      );
    const tokens = fakeEmbeddingTokens(text);
    // The fake answers a short vector whatever the size asked for: tests read the size from `dimensions` sent.
    const size = body['dimensions'] === undefined ? FAKE_EMBEDDING_DIMS : (dims as number);
    return { body: { embedding: fakeEmbedding(text, size), inputTextTokenCount: tokens }, inputTokens: tokens };
  }
  if (/cohere\.embed/.test(modelId)) {
    const v4 = /cohere\.embed-v4/.test(modelId);
    const allowed = [
      'texts',
      'input_type',
      'truncate',
      'embedding_types',
      ...(v4 ? ['output_dimension', 'max_tokens', 'images', 'inputs'] : ['images']),
    ];
    for (const k of Object.keys(body)) if (!allowed.includes(k)) throw extraneous(k);
    const texts = body['texts'];
    if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string' && t.length > 0))
      throw bedrockValidation(
        'Malformed input request: #/texts: expected a non-empty array of non-empty strings, please reformat your input and try again.',
      );
    if (texts.length > 96)
      throw bedrockValidation(
        'Malformed input request: #/texts: expected maximum item count: 96, found: ' + texts.length,
      );
    const inputType = body['input_type'];
    if (typeof inputType !== 'string' || !COHERE_INPUT_TYPES.has(inputType))
      throw bedrockValidation(
        'Malformed input request: #: required key [input_type] not found, please reformat your input and try again.',
      );
    const truncate = body['truncate'];
    if (truncate !== undefined && (typeof truncate !== 'string' || !TRUNCATE.has(truncate)))
      throw bedrockValidation(`Malformed input request: #/truncate: ${String(truncate)} is not a valid enum value`);
    const dims = body['output_dimension'];
    if (dims !== undefined && dims !== 256 && dims !== 512 && dims !== 1024 && dims !== 1536)
      throw bedrockValidation(`Malformed input request: #/output_dimension: ${String(dims)} is not a valid enum value`);
    const size = typeof dims === 'number' ? dims : FAKE_EMBEDDING_DIMS;
    const vectors = (texts as string[]).map((t) => fakeEmbedding(t, size));
    const tokens = (texts as string[]).reduce((n, t) => n + fakeEmbeddingTokens(t), 0);
    const types = body['embedding_types'];
    return {
      body: {
        id: `fake-${Date.now().toString(36)}`,
        texts,
        ...(Array.isArray(types)
          ? { embeddings: { float: vectors }, response_type: 'embeddings_by_type' }
          : { embeddings: vectors, response_type: 'embeddings_floats' }),
      },
      inputTokens: tokens,
    };
  }
  throw bedrockValidation('The provided model identifier is invalid.');
}

// ------------------------------------------------------------------ Cohere Embed API v2

const COHERE_V2_MEMBERS = new Set([
  'model',
  'texts',
  'images',
  'inputs',
  'input_type',
  'embedding_types',
  'output_dimension',
  'max_tokens',
  'truncate',
]);
const EMBEDDING_TYPES = new Set(['float', 'int8', 'uint8', 'binary', 'ubinary', 'base64']);

function cohereInvalid(message: string): FakeRefusal {
  return new FakeRefusal(400, { id: 'fake', message });
}

/**
 * Cohere's `POST /v2/embed`: `model`, `input_type` and `embedding_types` required; `texts` at most 96;
 * `output_dimension` only for embed-v4.0 (256, 512, 1024, 1536); unknown members refused. Answers
 * `embeddings` by type and `meta.billed_units.input_tokens`.
 */
export function cohereEmbedAnswer(body: unknown): unknown {
  if (!isObject(body)) throw cohereInvalid('invalid request: body must be a JSON object');
  for (const k of Object.keys(body))
    if (!COHERE_V2_MEMBERS.has(k)) throw cohereInvalid(`invalid request: unknown field '${k}'`);
  const model = body['model'];
  if (typeof model !== 'string' || model.length === 0) throw cohereInvalid('invalid request: model must be specified');
  const texts = body['texts'];
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string'))
    throw cohereInvalid('invalid request: texts must be a non-empty list of strings');
  if (texts.length > 96)
    throw cohereInvalid(`invalid request: total number of texts must be at most 96 - received ${texts.length}`);
  const inputType = body['input_type'];
  if (typeof inputType !== 'string' || !COHERE_INPUT_TYPES.has(inputType))
    throw cohereInvalid(
      "invalid request: input_type must be one of 'search_document', 'search_query', 'classification', 'clustering', 'image'",
    );
  const types = body['embedding_types'];
  if (
    !Array.isArray(types) ||
    types.length === 0 ||
    !types.every((t) => typeof t === 'string' && EMBEDDING_TYPES.has(t))
  )
    throw cohereInvalid(
      'invalid request: embedding_types is required and must name float, int8, uint8, binary, ubinary or base64',
    );
  const dims = body['output_dimension'];
  if (dims !== undefined) {
    if (!/^embed-v4/.test(model))
      throw cohereInvalid(`invalid request: output_dimension is not supported for model ${model}`);
    if (dims !== 256 && dims !== 512 && dims !== 1024 && dims !== 1536)
      throw cohereInvalid('invalid request: output_dimension must be one of 256, 512, 1024, 1536');
  }
  const size = typeof dims === 'number' ? dims : FAKE_EMBEDDING_DIMS;
  const vectors = (texts as string[]).map((t) => fakeEmbedding(t, size));
  const embeddings: Record<string, unknown> = {};
  for (const t of types as string[]) if (t === 'float') embeddings['float'] = vectors;
  const tokens = (texts as string[]).reduce((n, t) => n + fakeEmbeddingTokens(t), 0);
  return {
    id: `fake-${Date.now().toString(36)}`,
    embeddings,
    texts,
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } },
    response_type: 'embeddings_by_type',
  };
}
