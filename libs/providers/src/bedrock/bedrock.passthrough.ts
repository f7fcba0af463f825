import type { CanonicalSink, NativeStreamReader } from '../canonical/canonical-stream';
import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { unusableAnswer } from '../errors/bad-response';
import { readAwsServiceMessage } from '../framing/bedrock-event';
import { FrameDecodeError, type AwsEventStreamMessage } from '../framing/framing.types';
import { buildPassthroughRequest, parsePassthroughResponse, renderSseEvent } from '../anthropic/anthropic.passthrough';
import type { AnthropicApiVariant } from '../anthropic/anthropic.request';
import { AnthropicStreamReader } from '../anthropic/anthropic.stream';
import type { PassthroughOperation } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import type { SseEvent } from '../sse/sse.parser';
import { bedrockRegion } from './bedrock.credentials';
import { bedrockStreamError } from './bedrock.errors';
import { bedrockModel, encodeModelId } from './bedrock.model';
import { bedrockOrigin } from './bedrock.request';

/** The Messages API version Claude on Bedrock takes, in the body (InvokeModel has no anthropic-version header). */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

function modelUrl(deployment: ProviderDeployment, region: string | undefined, operation: string): string {
  return `${bedrockOrigin(deployment, region ?? bedrockRegion(deployment, {}))}/model/${encodeModelId(bedrockModel(deployment).id)}/${operation}`;
}

/**
 * Claude on Bedrock through InvokeModel (`/model/{id}/invoke`, `/invoke-with-response-stream`): the Messages
 * body without `model` (in the URL) and `stream` (in the operation), with `anthropic_version` and the betas
 * as `anthropic_beta` in the body; SigV4 is added by the adapter's signRequest. Tokens are counted by
 * CountTokens (`/model/{id}/count-tokens`), which takes the InvokeModel body base64-encoded and answers
 * `{"inputTokens"}`.
 */
export const BEDROCK_ANTHROPIC_API: AnthropicApiVariant = {
  provider: 'bedrock',
  url: (deployment, stream, ctx) =>
    modelUrl(deployment, ctx.credentials.aws?.region, stream ? 'invoke-with-response-stream' : 'invoke'),
  countTokensUrl: (deployment, ctx) => modelUrl(deployment, ctx.credentials.aws?.region, 'count-tokens'),
  authHeaders: () => ({}),
  versionHeader: false,
  bodyEdits: { model: null, stream: null, anthropic_version: JSON.stringify(BEDROCK_ANTHROPIC_VERSION) },
  betas: 'body',
  streamAccept: 'application/vnd.amazon.eventstream',
  countTokens: {
    modelInBody: false,
    wrap: (body) =>
      Buffer.from(JSON.stringify({ input: { invokeModel: { body: Buffer.from(body).toString('base64') } } }), 'utf8'),
    read: (answer) => {
      const n = (answer as { inputTokens?: unknown } | null)?.inputTokens;
      return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
    },
  },
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * InvokeModelWithResponseStream for Claude: AWS event-stream messages whose `chunk` events carry one
 * Anthropic stream event each, base64-encoded in `{"bytes"}`. Each is unwrapped into the SSE event Anthropic's
 * API would have sent and read by the Anthropic reader (usage, commit point, errors); the pass-through
 * renders that same event for the client, so a Messages client gets Anthropic's stream. Exception messages
 * (`throttlingException`, `modelStreamErrorException`, ...) end the stream with their error.
 */
export class BedrockClaudeStreamReader implements NativeStreamReader<AwsEventStreamMessage> {
  private readonly inner: AnthropicStreamReader;
  private last: { frame: AwsEventStreamMessage; event: SseEvent } | undefined;

  constructor(private readonly model: string) {
    this.inner = new AnthropicStreamReader({ model });
  }

  push(frame: AwsEventStreamMessage, sink: CanonicalSink): void {
    this.last = undefined;
    let m;
    try {
      m = readAwsServiceMessage(frame);
    } catch (e) {
      const why = e instanceof FrameDecodeError ? e.message : String(e);
      sink.emit({ type: 'error', error: unusableAnswer(`The provider's stream is malformed: ${why}`) });
      return;
    }
    if (m.messageType === 'exception') {
      sink.emit({ type: 'error', error: bedrockStreamError(m.exceptionType, messageOf(m.payload), this.model) });
      return;
    }
    if (m.messageType === 'error') {
      sink.emit({ type: 'error', error: bedrockStreamError(m.errorCode, m.errorMessage, this.model) });
      return;
    }
    if (m.eventType !== 'chunk') return;
    let data: string;
    let type: unknown;
    try {
      const part = JSON.parse(utf8.decode(m.payload)) as { bytes?: unknown };
      if (typeof part.bytes !== 'string') throw new Error('no bytes');
      data = utf8.decode(Buffer.from(part.bytes, 'base64'));
      type = (JSON.parse(data) as { type?: unknown }).type;
    } catch {
      sink.emit({
        type: 'error',
        error: unusableAnswer('The provider sent a stream chunk that is not a Messages event. Retry the request.'),
      });
      return;
    }
    const event: SseEvent = { event: typeof type === 'string' ? type : '', data, id: undefined };
    this.inner.push(event, sink);
    this.last = { frame, event };
  }

  end(): void {
    // Nothing is implicit in Claude's stream: without message_stop it was cut short (the caller reports it).
    this.inner.end();
  }

  /** The client's SSE text for `frame`, the event just pushed ('' for frames that carried none). */
  render(frame: AwsEventStreamMessage): string {
    return this.last?.frame === frame ? renderSseEvent(this.last.event) : '';
  }
}

function messageOf(payload: Uint8Array): string | undefined {
  try {
    const m = (JSON.parse(utf8.decode(payload)) as { message?: unknown; Message?: unknown }) ?? {};
    const text = m.message ?? m.Message;
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Anthropic's Messages API for a Messages client, on a bedrock deployment of a Claude model: passed through
 * InvokeModel as written (the model, version and betas moved where Bedrock takes them), answers relayed as
 * Claude wrote them. Other bedrock models have no Messages API: their requests are translated through Converse.
 */
export const bedrockClaudePassthrough: PassthroughOperation<'aws-eventstream'> = {
  serves: (deployment) => bedrockModel(deployment).anthropic,
  buildRequest: (input, deployment, ctx) => buildPassthroughRequest(BEDROCK_ANTHROPIC_API, input, deployment, ctx),
  parseResponse: (body, input) => parsePassthroughResponse(BEDROCK_ANTHROPIC_API, body, input),
  createStreamTranslator: (opts) => {
    const reader = new BedrockClaudeStreamReader(opts.request?.model ?? '');
    return canonicalStreamTranslator(opts, reader, {
      passthrough: (frame) => reader.render(frame as AwsEventStreamMessage),
    });
  },
};
