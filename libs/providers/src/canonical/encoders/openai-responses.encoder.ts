import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import { badResponse, unusableAnswer } from '../../errors/bad-response';
import { ProviderError } from '../../provider-adapter';
import { toResponsesUsage } from '../../responses/responses.object';
import type { CanonicalEvent, EventOf } from '../canonical-event.types';

type Json = Record<string, unknown>;

export interface OpenAIResponsesEncoderOptions {
  /** The response id the client sees (`resp_…`); its items' ids derive from it. */
  id: string;
  /** The model the answer names when the provider named none. */
  model: string;
  /** The request's echo (responseEcho): what every Response object repeats of its request. */
  echo: Json;
  /** Reasoning text is written as summary parts (the request asked for reasoning.summary), else left out. */
  reasoningSummary: boolean;
  /** Seconds since the epoch (the response's created_at); now when absent. */
  createdAt?: number;
}

type Item =
  | { kind: 'message'; index: number; id: string; part: 'output_text' | 'refusal'; text: string }
  | { kind: 'reasoning'; index: number; id: string; text: string }
  | { kind: 'call'; index: number; id: string; callId: string; name: string; args: string; call: number };

/**
 * Writes canonical events as OpenAI's Responses stream, event for event as OpenAI sends it, each with the
 * next `sequence_number`: `response.created` and `response.in_progress` (the response, in progress, with
 * no output), then per output item `response.output_item.added`, its parts and deltas
 * (`response.content_part.added` / `response.output_text.delta` / `.done` / `response.content_part.done`
 * for a message; `response.function_call_arguments.delta` / `.done` for a function call;
 * `response.reasoning_summary_part.added` / `response.reasoning_summary_text.delta` / `.done` for reasoning
 * when a summary was asked for) and `response.output_item.done`; at the end `response.completed`, or
 * `response.incomplete` (incomplete_details.reason `max_output_tokens` or `content_filter`) with the whole
 * response and its usage. Items are numbered in order and never reopened, as the SDK's ResponseStream
 * expects. Only choice 0 is written. The same object builds a non-streamed answer (result()).
 * `error` events are not written here: the gateway ends a broken stream with the API's `error` and
 * `response.failed` events.
 */
export class OpenAIResponsesEncoder {
  private head: EventOf<'message_start'> | undefined;
  private seq = 0;
  private started = false;
  private open: Item | undefined;
  private readonly done: Json[] = [];
  private readonly calls = new Map<number, Item & { kind: 'call' }>();
  private finish: EventOf<'finish'> | undefined;
  private usage: TokenUsage | undefined;
  private failure: GatewayError | undefined;
  private readonly createdAt: number;

  constructor(private readonly opts: OpenAIResponsesEncoderOptions) {
    this.createdAt = opts.createdAt ?? Math.floor(Date.now() / 1000);
  }

  push(event: CanonicalEvent): string {
    if ('choice' in event && event.choice !== 0) return '';
    switch (event.type) {
      case 'message_start':
        this.head = event;
        return this.start();
      case 'role':
        return '';
      case 'text_delta':
      case 'refusal_delta': {
        if (event.text.length === 0) return '';
        const part = event.type === 'text_delta' ? 'output_text' : 'refusal';
        let out = this.start() + this.ensureMessage(part);
        const item = this.open as Item & { kind: 'message' };
        item.text += event.text;
        out +=
          part === 'output_text'
            ? this.event('response.output_text.delta', {
                item_id: item.id,
                output_index: item.index,
                content_index: 0,
                delta: event.text,
                logprobs: [],
              })
            : this.event('response.refusal.delta', {
                item_id: item.id,
                output_index: item.index,
                content_index: 0,
                delta: event.text,
              });
        return out;
      }
      case 'reasoning_delta': {
        if (event.text.length === 0) return '';
        let out = this.start();
        if (this.open?.kind !== 'reasoning') out += this.openItem({ kind: 'reasoning', index: 0, id: '', text: '' });
        const item = this.open as Item & { kind: 'reasoning' };
        if (this.opts.reasoningSummary) {
          if (item.text.length === 0) {
            out += this.event('response.reasoning_summary_part.added', {
              item_id: item.id,
              output_index: item.index,
              summary_index: 0,
              part: { type: 'summary_text', text: '' },
            });
          }
          out += this.event('response.reasoning_summary_text.delta', {
            item_id: item.id,
            output_index: item.index,
            summary_index: 0,
            delta: event.text,
          });
        }
        item.text += event.text;
        return out;
      }
      case 'reasoning_block':
        // A provider's signed thinking has no place in the Responses API (its encrypted_content is OpenAI's).
        return '';
      case 'tool_call_start': {
        const item: Item & { kind: 'call' } = {
          kind: 'call',
          index: 0,
          id: '',
          callId: event.id,
          name: event.name,
          args: '',
          call: event.index,
        };
        this.calls.set(event.index, item);
        return this.start() + this.openItem(item);
      }
      case 'tool_call_delta': {
        const item = this.calls.get(event.index);
        if (item === undefined) {
          this.failure ??= unusableAnswer(
            `The provider sent arguments for tool call ${event.index} before starting it. Retry the request.`,
          );
          return '';
        }
        if (event.arguments.length === 0) return '';
        item.args += event.arguments;
        return this.event('response.function_call_arguments.delta', {
          item_id: item.id,
          output_index: item.index,
          delta: event.arguments,
        });
      }
      case 'finish':
        this.finish ??= event;
        return this.start() + this.close();
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'error':
        this.failure ??= event.error;
        return '';
    }
  }

  /** The events are over: the open item closes, then `response.completed` (or `response.incomplete`). */
  end(): string {
    const out = this.start() + this.close();
    const response = this.response();
    const type = response['status'] === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return out + this.event(type, { response });
  }

  /** The whole Response object (a non-streamed answer); throws a ProviderError when the events carried an error. */
  result(): Json {
    if (this.failure !== undefined) throw new ProviderError(this.failure);
    if (this.head === undefined) throw badResponse('The provider ended the answer before it began. Retry the request.');
    this.close();
    return this.response();
  }

  private response(): Json {
    const f = this.finish;
    const incomplete = f?.reason === 'length' || f?.reason === 'content_filter';
    return {
      ...this.shell(incomplete ? 'incomplete' : 'completed'),
      incomplete_details: incomplete
        ? { reason: f!.reason === 'length' ? 'max_output_tokens' : 'content_filter' }
        : null,
      output: this.done,
      usage: this.usage === undefined ? null : toResponsesUsage(this.usage),
    };
  }

  private shell(status: string): Json {
    return {
      id: this.opts.id,
      object: 'response',
      created_at: this.createdAt,
      status,
      background: false,
      error: null,
      incomplete_details: null,
      model: this.head?.model || this.opts.model,
      output: [],
      ...this.opts.echo,
      usage: null,
    };
  }

  /** `response.created` and `response.in_progress`, once, before anything else. */
  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = this.shell('in_progress');
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  private ensureMessage(part: 'output_text' | 'refusal'): string {
    if (this.open?.kind === 'message' && this.open.part === part) return '';
    let out = this.openItem({ kind: 'message', index: 0, id: '', part, text: '' });
    const item = this.open as Item & { kind: 'message' };
    out += this.event('response.content_part.added', {
      item_id: item.id,
      output_index: item.index,
      content_index: 0,
      part: this.partOf(item, ''),
    });
    return out;
  }

  /** Closes the open item and opens `item` as the next output item. */
  private openItem(item: Item): string {
    const out = this.close();
    item.index = this.done.length;
    const prefix = item.kind === 'message' ? 'msg' : item.kind === 'reasoning' ? 'rs' : 'fc';
    item.id = `${prefix}_${this.opts.id.replace(/^resp_/, '')}_${item.index}`;
    this.open = item;
    // The slot is taken now, so later items keep their indexes; filled when the item is done.
    this.done.push({});
    return out + this.event('response.output_item.added', { output_index: item.index, item: this.itemOf(item, true) });
  }

  private close(): string {
    const item = this.open;
    if (item === undefined) return '';
    this.open = undefined;
    let out = '';
    if (item.kind === 'message') {
      const text = item.text;
      if (item.part === 'output_text') {
        out += this.event('response.output_text.done', {
          item_id: item.id,
          output_index: item.index,
          content_index: 0,
          text,
          logprobs: [],
        });
      } else {
        out += this.event('response.refusal.done', {
          item_id: item.id,
          output_index: item.index,
          content_index: 0,
          refusal: text,
        });
      }
      out += this.event('response.content_part.done', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        part: this.partOf(item, text),
      });
    } else if (item.kind === 'reasoning' && this.opts.reasoningSummary && item.text.length > 0) {
      out += this.event('response.reasoning_summary_text.done', {
        item_id: item.id,
        output_index: item.index,
        summary_index: 0,
        text: item.text,
      });
      out += this.event('response.reasoning_summary_part.done', {
        item_id: item.id,
        output_index: item.index,
        summary_index: 0,
        part: { type: 'summary_text', text: item.text },
      });
    } else if (item.kind === 'call') {
      out += this.event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: item.index,
        name: item.name,
        arguments: item.args,
      });
    }
    const whole = this.itemOf(item, false);
    this.done[item.index] = whole;
    return out + this.event('response.output_item.done', { output_index: item.index, item: whole });
  }

  private partOf(item: Item & { kind: 'message' }, text: string): Json {
    return item.part === 'output_text'
      ? { type: 'output_text', annotations: [], logprobs: [], text }
      : { type: 'refusal', refusal: text };
  }

  private itemOf(item: Item, inProgress: boolean): Json {
    const incomplete = this.finish?.reason === 'length' || this.finish?.reason === 'content_filter';
    const status = inProgress ? 'in_progress' : incomplete ? 'incomplete' : 'completed';
    switch (item.kind) {
      case 'message':
        return {
          id: item.id,
          type: 'message',
          status,
          content: inProgress ? [] : [this.partOf(item, item.text)],
          role: 'assistant',
        };
      case 'reasoning':
        return {
          id: item.id,
          type: 'reasoning',
          summary:
            inProgress || !this.opts.reasoningSummary || item.text.length === 0
              ? []
              : [{ type: 'summary_text', text: item.text }],
        };
      case 'call':
        return {
          id: item.id,
          type: 'function_call',
          status,
          arguments: inProgress ? '' : item.args,
          call_id: item.callId,
          name: item.name,
        };
    }
  }

  private event(type: string, body: Json): string {
    const data = { type, ...body, sequence_number: this.seq++ };
    return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  }
}
