import type { GatewayError } from '@switchyard/contracts';
import { canonicalStreamTranslator, type CanonicalSink, type NativeStreamReader } from '../canonical/canonical-stream';
import { renderSseEvent } from '../anthropic/anthropic.passthrough';
import { badResponse } from '../errors/bad-response';
import type { ChatInput, ChatOperation, ParsedResponse } from '../provider-adapter';
import { fromResponsesUsage } from '../responses/responses.object';
import type { SseEvent } from '../sse/sse.parser';
import { scrubSecrets } from './openai.errors';
import { openAIHeaders, openAIUrl, type OpenAICompatibleProfile } from './openai.request';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The upstream body: the client's, with the deployment's model and without the members only the gateway
 * reads. (The gateway has already replaced `previous_response_id` by the stored conversation in `input`.)
 */
function responsesBody(input: ChatInput, model: string): string {
  const raw = input.raw;
  const out = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')) as Json;
  out['model'] = model;
  for (const member of input.summary.strip) delete out[member];
  return JSON.stringify(out);
}

function parseResponsesAnswer(body: string | Uint8Array): ParsedResponse {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
  }
  const usage = isObject(doc) ? fromResponsesUsage(doc['usage']) : undefined;
  return usage === undefined ? { body: null, usage, generatedChars: text.length } : { body: null, usage };
}

function failure(raw: unknown, fallback: string): GatewayError {
  const e = isObject(raw) ? raw : {};
  return {
    kind: 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: typeof e['code'] === 'string' ? e['code'] : 'upstream_stream_error',
    param: null,
    message: typeof e['message'] === 'string' ? scrubSecrets(e['message']) : fallback,
    retryable: true,
  };
}

/**
 * OpenAI's Responses stream read for what the translator needs of it (canonical events: the commit point,
 * usage, the finish, errors); the events themselves go to the client as the upstream wrote them.
 */
export class OpenAIResponsesStreamReader implements NativeStreamReader<SseEvent> {
  private calls = false;

  push(event: SseEvent, sink: CanonicalSink): void {
    const data = event.data.trim();
    if (data.length === 0 || data === '[DONE]') return;
    let e: Json;
    try {
      const parsed = JSON.parse(data) as unknown;
      if (!isObject(parsed)) throw new Error('not an object');
      e = parsed;
    } catch {
      sink.emit({
        type: 'error',
        error: failure(undefined, 'The provider sent a stream event that is not JSON. Retry the request.'),
      });
      return;
    }
    const outputIndex = typeof e['output_index'] === 'number' ? e['output_index'] : 0;
    switch (e['type']) {
      case 'response.created': {
        const r = isObject(e['response']) ? e['response'] : {};
        sink.emit({
          type: 'message_start',
          id: String(r['id'] ?? ''),
          model: String(r['model'] ?? ''),
          created: typeof r['created_at'] === 'number' ? r['created_at'] : 0,
        });
        return;
      }
      case 'response.output_text.delta':
        return sink.emit({ type: 'text_delta', choice: 0, text: String(e['delta'] ?? '') });
      case 'response.refusal.delta':
        return sink.emit({ type: 'refusal_delta', choice: 0, text: String(e['delta'] ?? '') });
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return sink.emit({ type: 'reasoning_delta', choice: 0, text: String(e['delta'] ?? '') });
      case 'response.output_item.added': {
        const item = isObject(e['item']) ? e['item'] : {};
        if (item['type'] !== 'function_call') return;
        this.calls = true;
        return sink.emit({
          type: 'tool_call_start',
          choice: 0,
          index: outputIndex,
          id: String(item['call_id'] ?? ''),
          name: String(item['name'] ?? ''),
        });
      }
      case 'response.function_call_arguments.delta':
        return sink.emit({
          type: 'tool_call_delta',
          choice: 0,
          index: outputIndex,
          arguments: String(e['delta'] ?? ''),
        });
      case 'response.completed':
      case 'response.incomplete': {
        const r = isObject(e['response']) ? e['response'] : {};
        const usage = fromResponsesUsage(r['usage']);
        if (usage !== undefined) sink.emit({ type: 'usage', usage });
        const incomplete = e['type'] === 'response.incomplete';
        const reason = isObject(r['incomplete_details']) ? String(r['incomplete_details']['reason']) : null;
        sink.emit({
          type: 'finish',
          choice: 0,
          reason: incomplete
            ? reason === 'content_filter'
              ? 'content_filter'
              : 'length'
            : this.calls
              ? 'tool_calls'
              : 'stop',
          nativeReason: reason,
        });
        return sink.done();
      }
      case 'response.failed': {
        const r = isObject(e['response']) ? e['response'] : {};
        return sink.emit({ type: 'error', error: failure(r['error'], 'The provider failed the response.') });
      }
      case 'error':
        return sink.emit({
          type: 'error',
          error: failure(e, 'The provider reported an error in the middle of the stream.'),
        });
      default:
        return;
    }
  }

  end(): void {
    // A stream cut before response.completed is incomplete (canonicalStreamTranslator says so).
  }
}

/**
 * OpenAI's Responses API (`{api_base}/responses`) for a client that speaks it: the client's body goes
 * upstream with only the model set; answers and stream events come back byte for byte as the upstream sent
 * them, read on the side for usage, the commit point and errors. A stream's `error` / `response.failed`
 * event is not relayed: the attempt fails with it, before the commit (so routing may retry) or as the
 * stream's last events, written by the gateway.
 */
export function openAIResponses(profile: OpenAICompatibleProfile): ChatOperation<'sse'> {
  return {
    buildRequest: (input, deployment, ctx) => {
      const headers = openAIHeaders(deployment, ctx);
      if (input.stream) headers['accept'] = 'text/event-stream';
      return {
        url: openAIUrl(profile, deployment, 'responses'),
        method: 'POST',
        headers,
        body: responsesBody(input, deployment.model),
      };
    },
    parseResponse: (body) => parseResponsesAnswer(body),
    createStreamTranslator: (opts) =>
      canonicalStreamTranslator(opts, new OpenAIResponsesStreamReader(), {
        passthrough: (e) => renderSseEvent(e as SseEvent),
      }),
  };
}
