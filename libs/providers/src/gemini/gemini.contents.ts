import { Errors } from '@switchyard/contracts';
import type { ChatContentPart, ChatMessage } from '../openai-types';
import { ProviderError } from '../provider-adapter';
import { decodeToolCallId } from './gemini.tool-ids';
import type { GeminiContent, GeminiFunctionDeclaration, GeminiPart, GeminiRole, GeminiTool } from './gemini.types';

/*
 * OpenAI messages → Gemini `contents` + `systemInstruction`, and OpenAI tools → function declarations.
 * Gemini knows two roles: system and developer messages become the system instruction, assistant turns are
 * `model` turns, and tool results are `user` turns of functionResponse parts.
 */

function badRequest(message: string, param = 'messages'): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, param, 'invalid_value'), retryable: false });
}

/** File extensions whose type Gemini needs named on a fileData part (it does not sniff URLs). */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  gif: 'image/gif',
  pdf: 'application/pdf',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  txt: 'text/plain',
};

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(?:;[\w-]+=[^;,]*)*;base64,(.*)$/s;

/** The type named by a URL's file extension (query and fragment ignored), or undefined. */
export function mimeTypeOfUrl(url: string): string | undefined {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL the WHATWG parser takes (a gs:// path with odd characters): read it as it is.
    path = url.split(/[?#]/)[0] ?? url;
  }
  const dot = path.lastIndexOf('.');
  if (dot === -1 || dot < path.lastIndexOf('/')) return undefined;
  return MIME_BY_EXTENSION[path.slice(dot + 1).toLowerCase()];
}

/**
 * A media reference as a Gemini part: a base64 data URL travels inline, an http(s) or gs:// URL as fileData
 * (Gemini fetches it; the gateway never does). `format` is the client's explicit type, when it gave one.
 */
function mediaPart(url: unknown, format: unknown, where: string): GeminiPart {
  if (typeof url !== 'string' || url.length === 0) throw badRequest(`${where} needs a "url".`);
  if (url.startsWith('data:')) {
    const m = DATA_URL.exec(url);
    if (m === null) {
      throw badRequest(
        `${where} is a data URL that is not base64 ("data:<type>;base64,<data>"); Gemini takes only base64 data.`,
      );
    }
    return { inlineData: { mimeType: typeof format === 'string' && format.length > 0 ? format : m[1]!, data: m[2]! } };
  }
  if (!/^(https?|gs):\/\//i.test(url)) {
    throw badRequest(`${where} must be an http(s) URL, a gs:// URI or a base64 data URL.`);
  }
  const mimeType = typeof format === 'string' && format.length > 0 ? format : mimeTypeOfUrl(url);
  if (mimeType === undefined) {
    throw badRequest(
      `${where}: Gemini needs the media type of a URL it fetches, and this URL's file extension does not tell it. Use a URL ending in .png, .jpg, .webp, .pdf (...), set "format" (e.g. "image/png") on the part, or send the bytes as a base64 data URL.`,
    );
  }
  return { fileData: { mimeType, fileUri: url } };
}

/** The text of a system or developer message (Gemini's system instruction takes text only). */
function textParts(content: ChatMessage['content'], where: string, refusalAsText = false): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw badRequest(`${where}: content must be a string or an array of parts.`);
  const out: GeminiPart[] = [];
  content.forEach((p, i) => {
    if (p.type === 'text' && typeof p.text === 'string') {
      if (p.text.length > 0) out.push({ text: p.text });
    } else if (refusalAsText && p.type === 'refusal' && typeof p['refusal'] === 'string') {
      out.push({ text: p['refusal'] });
    } else {
      throw badRequest(`${where}: part ${i} of type "${String(p.type)}" is not supported here; only text is.`);
    }
  });
  return out;
}

/** A user message's parts: text, images, audio and files. */
function userParts(content: ChatMessage['content'], where: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw badRequest(`${where}: content must be a string or an array of parts.`);
  const out: GeminiPart[] = [];
  content.forEach((p: ChatContentPart, i) => {
    const at = `${where} part ${i}`;
    switch (p.type) {
      case 'text':
        if (typeof p.text !== 'string') throw badRequest(`${at}: a text part needs "text".`);
        if (p.text.length > 0) out.push({ text: p.text });
        return;
      case 'image_url': {
        const image = p['image_url'] as { url?: unknown; format?: unknown } | string | undefined;
        // `detail` is OpenAI's resolution hint; Gemini picks its own resolution per model.
        if (typeof image === 'string') out.push(mediaPart(image, undefined, `${at} (image_url)`));
        else out.push(mediaPart(image?.url, image?.format, `${at} (image_url)`));
        return;
      }
      case 'input_audio': {
        const audio = p['input_audio'] as { data?: unknown; format?: unknown } | undefined;
        if (typeof audio?.data !== 'string' || (audio.format !== 'wav' && audio.format !== 'mp3')) {
          throw badRequest(`${at}: input_audio needs base64 "data" and a "format" of "wav" or "mp3".`);
        }
        out.push({ inlineData: { mimeType: `audio/${audio.format}`, data: audio.data } });
        return;
      }
      case 'file': {
        const file = p['file'] as { file_data?: unknown; file_id?: unknown; format?: unknown } | undefined;
        if (typeof file?.file_data === 'string') out.push(mediaPart(file.file_data, file.format, `${at} (file)`));
        else if (typeof file?.file_id === 'string') out.push(mediaPart(file.file_id, file.format, `${at} (file)`));
        else throw badRequest(`${at}: a file part needs "file_data" (a base64 data URL) or "file_id" (a URI).`);
        return;
      }
      default:
        throw badRequest(`${at}: parts of type "${String(p.type)}" are not supported by Gemini.`);
    }
  });
  return out;
}

function parseArguments(args: unknown, where: string): Record<string, unknown> {
  if (args === undefined || args === null || args === '') return {};
  if (typeof args !== 'string') throw badRequest(`${where}: "arguments" must be a JSON string.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw badRequest(`${where}: "arguments" is not valid JSON; Gemini takes function arguments as a JSON object.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest(`${where}: "arguments" must be a JSON object for Gemini.`);
  }
  return parsed as Record<string, unknown>;
}

/** A tool's result as Gemini's `response` object: a JSON object as it is, anything else under `output`. */
function functionResponseOf(content: ChatMessage['content'], where: string): Record<string, unknown> {
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((p, i) => {
              if (p.type !== 'text' || typeof p.text !== 'string')
                throw badRequest(`${where}: part ${i} of a tool result must be text.`);
              return p.text;
            })
            .join('')
        : '';
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the text is the output.
  }
  return { output: text };
}

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
}

/**
 * The conversation in Gemini's shape. Consecutive messages of one role share a turn, and consecutive tool
 * results one functionResponse turn; a tool result is paired with its call by the call's id, found on a
 * preceding assistant message, since Gemini needs the function's name.
 */
export function toGeminiConversation(messages: readonly ChatMessage[]): GeminiConversation {
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  /** Tool-call ids of assistant messages so far → the function called. */
  const calls = new Map<string, string>();
  /** Kind of the last turn written, so tool results and user text never share one. */
  let lastKind: 'user' | 'model' | 'tool' | undefined;

  const push = (kind: 'user' | 'model' | 'tool', role: GeminiRole, parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last !== undefined && lastKind === kind) last.parts.push(...parts);
    else contents.push({ role, parts });
    lastKind = kind;
  };

  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if (m === null || typeof m !== 'object') throw badRequest(`${where} must be an object.`);
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m.content, `${where} (${m.role})`));
        return;
      case 'user':
        push('user', 'user', userParts(m.content, where));
        return;
      case 'assistant': {
        const parts = textParts(m.content, where, true);
        const legacy = m['function_call'] as { name?: unknown; arguments?: unknown } | undefined;
        if (legacy !== undefined && legacy !== null && typeof legacy.name === 'string') {
          parts.push({
            functionCall: { name: legacy.name, args: parseArguments(legacy.arguments, `${where}.function_call`) },
          });
        }
        (m.tool_calls ?? []).forEach((call, j) => {
          const at = `${where}.tool_calls[${j}]`;
          if (call?.type !== 'function' || typeof call.function?.name !== 'string') {
            throw badRequest(`${at}: Gemini takes only function tool calls with a name.`);
          }
          if (typeof call.id === 'string') calls.set(call.id, call.function.name);
          const { geminiId, signature } = typeof call.id === 'string' ? decodeToolCallId(call.id) : {};
          const part: GeminiPart = {
            functionCall: {
              ...(geminiId !== undefined && { id: geminiId }),
              name: call.function.name,
              args: parseArguments(call.function.arguments, at),
            },
          };
          if (signature !== undefined) part.thoughtSignature = signature;
          parts.push(part);
        });
        push('model', 'model', parts);
        return;
      }
      case 'tool': {
        const id = m.tool_call_id;
        const name = typeof id === 'string' ? calls.get(id) : undefined;
        if (name === undefined) {
          throw badRequest(
            `${where}: tool_call_id ${JSON.stringify(id)} answers no tool call of an earlier assistant message; Gemini pairs each result with its call by the function's name, so the call must be in the conversation.`,
          );
        }
        const { geminiId } = decodeToolCallId(id!);
        push('tool', 'user', [
          {
            functionResponse: {
              ...(geminiId !== undefined && { id: geminiId }),
              name,
              response: functionResponseOf(m.content, where),
            },
          },
        ]);
        return;
      }
      case 'function': {
        if (typeof m.name !== 'string') throw badRequest(`${where}: a function message needs "name".`);
        push('tool', 'user', [{ functionResponse: { name: m.name, response: functionResponseOf(m.content, where) } }]);
        return;
      }
      default:
        throw badRequest(`${where}: role ${JSON.stringify(m.role)} is not one Gemini can take.`);
    }
  });

  if (contents.length === 0) {
    throw badRequest('Gemini needs at least one user, assistant or tool message besides system messages.');
  }
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}

interface OpenAIFunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** What is wrong with `tools`, or undefined (the param map's check). */
export function checkTools(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return 'expected an array of tools';
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i] as Partial<OpenAIFunctionTool> | null;
    if (t?.type !== 'function')
      return `tool ${i} has type ${JSON.stringify(t?.type)}; Gemini takes function tools only`;
    if (typeof t.function?.name !== 'string' || t.function.name.length === 0) return `tool ${i} needs a function name`;
  }
  return undefined;
}

/**
 * OpenAI function tools as Gemini function declarations. Parameters go in `parametersJsonSchema`, which takes
 * JSON Schema as it is (`additionalProperties`, `$ref`, `anyOf`...), rather than `parameters`, whose OpenAPI
 * subset would need the schema rewritten and loses what it cannot express. `strict` has no Gemini
 * equivalent. `only` keeps the named functions (tool_choice `allowed_tools` in auto mode).
 */
export function toGeminiTools(tools: readonly unknown[], only?: ReadonlySet<string>): GeminiTool[] {
  const declarations: GeminiFunctionDeclaration[] = [];
  for (const t of tools as OpenAIFunctionTool[]) {
    const f = t.function;
    if (only !== undefined && !only.has(f.name)) continue;
    const d: GeminiFunctionDeclaration = { name: f.name };
    if (typeof f.description === 'string' && f.description.length > 0) d.description = f.description;
    if (f.parameters !== undefined && f.parameters !== null) d.parametersJsonSchema = f.parameters;
    declarations.push(d);
  }
  return declarations.length > 0 ? [{ functionDeclarations: declarations }] : [];
}
