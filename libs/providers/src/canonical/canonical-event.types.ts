import type { GatewayError, TokenUsage } from '@switchyard/contracts';

/**
 * One whole block of a provider's reasoning, as the provider needs it back in a later turn to continue
 * from it (LiteLLM's `thinking_blocks` shape): Anthropic's thinking text with its `signature`, or a
 * `redacted_thinking` block's opaque `data`. The text also streams as `reasoning_delta` events; this event
 * comes once the block is complete.
 */
export type ReasoningBlock =
  { type: 'thinking'; thinking: string; signature: string | null } | { type: 'redacted_thinking'; data: string };

/** Why a choice ended, normalised across providers (OpenAI's values, which every client API can express). */
export type CanonicalFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * What a provider's stream says, independent of any API: adapters turn their provider's events into these,
 * and one encoder per client API writes them. `choice` is the choice index (0 unless the client asked for
 * several); tool-call `index` is the call's position within its choice.
 */
export type CanonicalEvent =
  /** First, once: the answer's identity. `created` is in seconds since the epoch. */
  | {
      type: 'message_start';
      id: string;
      model: string;
      created: number;
      systemFingerprint?: string;
      serviceTier?: string;
    }
  /** The assistant's turn begins for a choice (encoders also imply it before a choice's first delta). */
  | { type: 'role'; choice: number }
  | { type: 'text_delta'; choice: number; text: string }
  | { type: 'reasoning_delta'; choice: number; text: string }
  /** A reasoning block is complete (after its `reasoning_delta` events, if it had readable text). */
  | { type: 'reasoning_block'; choice: number; block: ReasoningBlock }
  | { type: 'refusal_delta'; choice: number; text: string }
  | { type: 'tool_call_start'; choice: number; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; choice: number; index: number; arguments: string }
  /** `nativeReason` is the provider's own word (`end_turn`, `MAX_TOKENS`), null when it gave none. */
  | { type: 'finish'; choice: number; reason: CanonicalFinishReason; nativeReason: string | null }
  /**
   * Usage of the whole request so far, in the contracts' convention (prompt includes cached reads and
   * cache writes; completion includes reasoning). A later usage event replaces an earlier one.
   */
  | { type: 'usage'; usage: TokenUsage }
  /** The stream failed; nothing follows. */
  | { type: 'error'; error: GatewayError };

export type CanonicalEventType = CanonicalEvent['type'];

/** The event of a given type: `EventOf<'finish'>`. */
export type EventOf<T extends CanonicalEventType> = Extract<CanonicalEvent, { type: T }>;
