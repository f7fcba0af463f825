import { describe, expect, it } from 'vitest';
import { classifyUpstream, isRetryableKind } from './error-classifier';

describe('classifyUpstream', () => {
  it('maps statuses to kinds', () => {
    expect(classifyUpstream(401)).toBe('auth');
    expect(classifyUpstream(403)).toBe('auth');
    expect(classifyUpstream(408)).toBe('timeout');
    expect(classifyUpstream(413)).toBe('too_large');
    expect(classifyUpstream(429)).toBe('rate_limited');
    expect(classifyUpstream(500)).toBe('upstream_5xx');
    expect(classifyUpstream(502)).toBe('upstream_5xx');
    expect(classifyUpstream(400, { message: 'Invalid value for temperature' })).toBe('bad_request');
    expect(classifyUpstream(422)).toBe('bad_request');
  });

  it('tells overloaded apart from other 5xx', () => {
    expect(classifyUpstream(529, { type: 'overloaded_error', message: 'Overloaded' })).toBe('overloaded');
    expect(classifyUpstream(503, { message: 'The model is overloaded. Please try again later.' })).toBe('overloaded');
    expect(classifyUpstream(503, { message: 'Service Unavailable' })).toBe('upstream_5xx');
    expect(classifyUpstream(500, { type: 'overloaded_error' })).toBe('overloaded');
  });

  it('finds context-window failures by code or by the providers’ wording', () => {
    expect(classifyUpstream(400, { code: 'context_length_exceeded' })).toBe('context_window');
    expect(
      classifyUpstream(400, {
        message:
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
      }),
    ).toBe('context_window');
    expect(classifyUpstream(400, { message: 'prompt is too long: 210000 tokens > 200000 maximum' })).toBe(
      'context_window',
    );
    expect(classifyUpstream(400, { message: 'The input is too long for the requested model.' })).toBe('context_window');
  });

  it('finds content-policy refusals', () => {
    expect(classifyUpstream(400, { code: 'content_filter' })).toBe('content_policy');
    expect(classifyUpstream(400, { code: 'content_policy_violation' })).toBe('content_policy');
    expect(
      classifyUpstream(400, {
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
      }),
    ).toBe('content_policy');
  });

  it('treats a 402 and a 404 that is not the provider’s envelope as the deployment being unusable', () => {
    expect(classifyUpstream(402)).toBe('unavailable');
    expect(classifyUpstream(404, { shaped: false })).toBe('unavailable');
    expect(classifyUpstream(404, { shaped: true, code: 'model_not_found' })).toBe('not_found');
  });

  it('says which kinds another deployment may serve', () => {
    expect(isRetryableKind('rate_limited')).toBe(true);
    expect(isRetryableKind('overloaded')).toBe(true);
    expect(isRetryableKind('bad_request')).toBe(false);
    expect(isRetryableKind('context_window')).toBe(false);
    expect(isRetryableKind('client_disconnected')).toBe(false);
  });
});
