/*
 * The GenerateContentRequest message tree as the fake Gemini server checks it: every field the real API
 * knows (lowerCamelCase; snake_case is accepted too, as proto JSON parsing does), so an unknown name is a
 * 400 "Unknown name" exactly where the real API says it, and a value of the wrong JSON type is refused.
 */

export type FieldType =
  | 'string'
  | 'number'
  | 'integer'
  | 'bool'
  /** A google.protobuf.Struct / Value: any JSON. */
  | 'any'
  /** Base64 bytes. */
  | 'bytes'
  | { enum: readonly string[] }
  | { msg: string }
  | { list: FieldType }
  | { map: FieldType };

export type MessageSchema = Readonly<Record<string, FieldType>>;

const str = 'string' as const;
const num = 'number' as const;
const int = 'integer' as const;
const bool = 'bool' as const;
const any = 'any' as const;
const msg = (name: string): FieldType => ({ msg: name });
const list = (t: FieldType): FieldType => ({ list: t });

export type GoogleApi = 'gemini' | 'vertex';

/** The messages of one API (the Gemini API and Vertex AI differ in a few fields). */
export function messageSchemas(api: GoogleApi): Readonly<Record<string, MessageSchema>> {
  const vertex = api === 'vertex';
  return {
    GenerateContentRequest: {
      model: str,
      contents: list(msg('Content')),
      systemInstruction: msg('Content'),
      tools: list(msg('Tool')),
      toolConfig: msg('ToolConfig'),
      safetySettings: list(msg('SafetySetting')),
      generationConfig: msg('GenerationConfig'),
      cachedContent: str,
      ...(vertex ? { labels: { map: str }, modelArmorConfig: any } : {}),
    },
    Content: { role: str, parts: list(msg('Part')) },
    Part: {
      text: str,
      thought: bool,
      thoughtSignature: 'bytes',
      inlineData: msg('Blob'),
      fileData: msg('FileData'),
      functionCall: msg('FunctionCall'),
      functionResponse: msg('FunctionResponse'),
      executableCode: msg('ExecutableCode'),
      codeExecutionResult: msg('CodeExecutionResult'),
      videoMetadata: msg('VideoMetadata'),
      mediaResolution: any,
      ...(vertex ? {} : { partMetadata: any }),
    },
    Blob: { mimeType: str, data: 'bytes', ...(vertex ? { displayName: str } : {}) },
    FileData: { mimeType: str, fileUri: str, ...(vertex ? { displayName: str } : {}) },
    FunctionCall: { id: str, name: str, args: any },
    FunctionResponse: {
      id: str,
      name: str,
      response: any,
      parts: list(any),
      willContinue: bool,
      scheduling: { enum: ['SCHEDULING_UNSPECIFIED', 'SILENT', 'WHEN_IDLE', 'INTERRUPT'] },
    },
    ExecutableCode: { language: str, code: str },
    CodeExecutionResult: { outcome: str, output: str },
    VideoMetadata: { startOffset: str, endOffset: str, fps: num },
    Tool: {
      functionDeclarations: list(msg('FunctionDeclaration')),
      googleSearch: any,
      googleSearchRetrieval: any,
      codeExecution: any,
      urlContext: any,
      googleMaps: any,
      computerUse: any,
      ...(vertex ? { retrieval: any, enterpriseWebSearch: any } : { fileSearch: any }),
    },
    FunctionDeclaration: {
      name: str,
      description: str,
      parameters: msg('Schema'),
      parametersJsonSchema: any,
      response: msg('Schema'),
      responseJsonSchema: any,
      behavior: { enum: ['UNSPECIFIED', 'BLOCKING', 'NON_BLOCKING'] },
    },
    /** The OpenAPI 3.0 subset `parameters` and `responseSchema` take (no additionalProperties, no $ref). */
    Schema: {
      type: { enum: ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL'] },
      format: str,
      title: str,
      description: str,
      nullable: bool,
      enum: list(str),
      maxItems: int,
      minItems: int,
      properties: { map: msg('Schema') },
      required: list(str),
      minProperties: int,
      maxProperties: int,
      minLength: int,
      maxLength: int,
      pattern: str,
      example: any,
      anyOf: list(msg('Schema')),
      propertyOrdering: list(str),
      default: any,
      items: msg('Schema'),
      minimum: num,
      maximum: num,
    },
    ToolConfig: {
      functionCallingConfig: msg('FunctionCallingConfig'),
      retrievalConfig: any,
      ...(vertex ? {} : { includeServerSideToolInvocations: bool }),
    },
    FunctionCallingConfig: {
      mode: { enum: ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'] },
      allowedFunctionNames: list(str),
      ...(vertex ? { streamFunctionCallArguments: bool } : {}),
    },
    SafetySetting: { category: str, threshold: str, ...(vertex ? { method: str } : {}) },
    GenerationConfig: {
      stopSequences: list(str),
      responseMimeType: str,
      responseSchema: msg('Schema'),
      responseJsonSchema: any,
      _responseJsonSchema: any,
      responseModalities: list(str),
      candidateCount: int,
      maxOutputTokens: int,
      temperature: num,
      topP: num,
      topK: num,
      seed: int,
      presencePenalty: num,
      frequencyPenalty: num,
      responseLogprobs: bool,
      logprobs: int,
      speechConfig: any,
      thinkingConfig: msg('ThinkingConfig'),
      mediaResolution: str,
      imageConfig: any,
      ...(vertex ? { routingConfig: any, audioTimestamp: bool } : { enableEnhancedCivicAnswers: bool }),
    },
    ThinkingConfig: {
      includeThoughts: bool,
      thinkingBudget: int,
      thinkingLevel: { enum: ['THINKING_LEVEL_UNSPECIFIED', 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] },
    },
  };
}

/** "functionDeclarations" → "function_declarations": proto field names, as Google's messages quote them. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** "function_declarations" → "functionDeclarations". */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function typeName(t: FieldType): string {
  if (typeof t === 'string') {
    return {
      string: 'TYPE_STRING',
      number: 'TYPE_FLOAT',
      integer: 'TYPE_INT32',
      bool: 'TYPE_BOOL',
      any: 'TYPE_MESSAGE',
      bytes: 'TYPE_BYTES',
    }[t];
  }
  if ('enum' in t) return 'TYPE_ENUM';
  return 'TYPE_MESSAGE';
}

/**
 * Walks `value` as message `name`: the violations (field path, description), in Google's words. Paths use
 * proto (snake_case) names: `contents[0].parts[1].inline_data`.
 */
export function checkMessage(
  schemas: Readonly<Record<string, MessageSchema>>,
  name: string,
  value: unknown,
  path = '',
): Array<{ field: string; description: string }> {
  const out: Array<{ field: string; description: string }> = [];
  const walk = (t: FieldType, v: unknown, at: string): void => {
    if (v === null) return; // proto JSON: null is the default value
    if (typeof t === 'object' && 'list' in t) {
      if (!Array.isArray(v)) {
        walk(t.list, v, at); // a single value where a list is expected is read as a one-element list
        return;
      }
      v.forEach((item, i) => walk(t.list, item, `${at}[${i}]`));
      return;
    }
    if (typeof t === 'object' && 'map' in t) {
      if (typeof v !== 'object' || Array.isArray(v)) {
        out.push({ field: at, description: `Invalid value at '${at}' (${typeName(t)}), ${JSON.stringify(v)}` });
        return;
      }
      for (const [k, item] of Object.entries(v as Record<string, unknown>))
        walk(t.map, item, `${at}[${JSON.stringify(k)}]`);
      return;
    }
    if (typeof t === 'object' && 'msg' in t) {
      if (typeof v !== 'object' || Array.isArray(v)) {
        out.push({
          field: at,
          description: Array.isArray(v)
            ? `Invalid JSON payload received. Unknown name "" at '${at}': Proto field is not repeating, cannot start list.`
            : `Invalid value at '${at}' (${typeName(t)}), ${JSON.stringify(v)}`,
        });
        return;
      }
      out.push(...checkMessage(schemas, t.msg, v, at));
      return;
    }
    const bad = (): void => {
      out.push({ field: at, description: `Invalid value at '${at}' (${typeName(t)}), ${JSON.stringify(v)}` });
    };
    if (typeof t === 'object' && 'enum' in t) {
      if (typeof v !== 'string' || !t.enum.includes(v.toUpperCase())) bad();
      return;
    }
    switch (t) {
      case 'any':
        return;
      case 'string':
        if (typeof v !== 'string') bad();
        return;
      case 'bool':
        if (typeof v !== 'boolean') bad();
        return;
      case 'number':
        if (typeof v !== 'number' && !(typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))) bad();
        return;
      case 'integer':
        if (!((typeof v === 'number' || (typeof v === 'string' && v.trim() !== '')) && Number.isInteger(Number(v))))
          bad();
        return;
      case 'bytes':
        if (typeof v !== 'string' || !BASE64.test(v)) {
          out.push({
            field: at,
            description: `Invalid value at '${at}' (TYPE_BYTES), Base64 decoding failed for ${JSON.stringify(String(v).slice(0, 40))}`,
          });
        }
        return;
    }
  };
  const schema = schemas[name];
  if (schema === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = Object.hasOwn(schema, key) ? key : Object.hasOwn(schema, camelCase(key)) ? camelCase(key) : undefined;
    if (field === undefined) {
      out.push({
        field: path,
        description:
          path === ''
            ? `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}: Cannot find field.`
            : `Invalid JSON payload received. Unknown name ${JSON.stringify(key)} at '${path}': Cannot find field.`,
      });
      continue;
    }
    walk(schema[field]!, v, path === '' ? snakeCase(field) : `${path}.${snakeCase(field)}`);
  }
  return out;
}

/** A message object with every snake_case member renamed to lowerCamelCase (recursively, data members excepted). */
export function normaliseNames(
  schemas: Readonly<Record<string, MessageSchema>>,
  name: string,
  value: unknown,
): unknown {
  const schema = schemas[name];
  if (schema === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = Object.hasOwn(schema, key) ? key : camelCase(key);
    const t = schema[field];
    const convert = (ft: FieldType | undefined, x: unknown): unknown => {
      if (ft === undefined || typeof ft === 'string' || 'enum' in ft) return x;
      if ('list' in ft) return Array.isArray(x) ? x.map((i) => convert(ft.list, i)) : [convert(ft.list, x)];
      if ('map' in ft) {
        if (x === null || typeof x !== 'object') return x;
        return Object.fromEntries(
          Object.entries(x as Record<string, unknown>).map(([k, i]) => [k, convert(ft.map, i)]),
        );
      }
      return normaliseNames(schemas, ft.msg, x);
    };
    out[field] = convert(t, v);
  }
  return out;
}
