import { describe, expect, it } from 'vitest';
import { Errors } from '@switchyard/contracts';
import { envelopeFor, errorHeaders, shouldRetry } from './error-envelope';
import { unservedEndpointMessage } from './unserved-endpoints';

describe('shouldRetry (x-should-retry)', () => {
  it('says false for a 4xx a retry cannot fix, true for 408, 409 and 429', () => {
    expect(shouldRetry(Errors.invalidRequest('x'))).toBe(false);
    expect(shouldRetry(Errors.unauthorized('x'))).toBe(false);
    expect(shouldRetry(Errors.modelNotFound('m'))).toBe(false);
    expect(shouldRetry(Errors.payloadTooLarge(10))).toBe(false);
    expect(shouldRetry(Errors.rateLimited('x', 1))).toBe(true);
    expect(shouldRetry({ status: 408 })).toBe(true);
    expect(shouldRetry({ status: 409 })).toBe(true);
  });

  it('says false for a 5xx its source marked not retryable (a configuration fault), true for a retryable one', () => {
    expect(shouldRetry({ status: 502, retryable: false })).toBe(false);
    expect(shouldRetry(Errors.unavailable('x'))).toBe(true);
    // Routing may try another deployment after these, but the client's retry meets the same config.
    expect(shouldRetry({ status: 501, retryable: true, configFault: true })).toBe(false);
    expect(shouldRetry({ status: 502, retryable: true, configFault: true })).toBe(false);
    expect(shouldRetry({ status: 502, retryable: true })).toBe(true);
    expect(shouldRetry(Errors.internal('x'))).toBeUndefined();
  });
});

describe('errorHeaders', () => {
  it('carries the request id and the retry verdict on every error', () => {
    const h = errorHeaders({ ...Errors.upstreamFailed('x'), retryable: false }, 'req_1');
    expect(h).toMatchObject({ 'x-request-id': 'req_1', 'x-should-retry': 'false', 'content-type': 'application/json' });
    expect(errorHeaders(Errors.internal('x'), 'req_2')).not.toHaveProperty('x-should-retry');
  });
});

describe('envelopeFor', () => {
  it("writes Anthropic's envelope on /v1/messages paths", () => {
    const body = JSON.parse(envelopeFor('/v1/messages?beta=true').errorBody(Errors.notFound('nope')));
    expect(body).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'nope' } });
    expect(JSON.parse(envelopeFor('/messages/count_tokens').errorBody(Errors.rateLimited('slow'))).error.type).toBe(
      'rate_limit_error',
    );
  });

  it("writes OpenAI's envelope everywhere else", () => {
    const body = JSON.parse(envelopeFor('/v1/messagesx').errorBody(Errors.invalidRequest('bad', 'model')));
    expect(body).toEqual({ error: { message: 'bad', type: 'invalid_request_error', param: 'model', code: null } });
  });
});

describe('unservedEndpointMessage', () => {
  it('names endpoints of the OpenAI and Anthropic APIs not served yet, with or without /v1', () => {
    expect(unservedEndpointMessage('/v1/responses')).toBeUndefined();
    expect(unservedEndpointMessage('/moderations?x=1')).toMatch(/Moderations .* not supported/);
    expect(unservedEndpointMessage('/v1/images/generations')).toMatch(/Images/);
    expect(unservedEndpointMessage('/v1/audio/speech')).toMatch(/Audio/);
  });

  it('leaves other paths to the usual 404', () => {
    expect(unservedEndpointMessage('/v1/chat/completions')).toBeUndefined();
    expect(unservedEndpointMessage('/v1/embeddings')).toBeUndefined();
    expect(unservedEndpointMessage('/v1/completions')).toBeUndefined();
    expect(unservedEndpointMessage('/v1/messages')).toBeUndefined();
    expect(unservedEndpointMessage('/v1/nothing')).toBeUndefined();
    expect(unservedEndpointMessage('/')).toBeUndefined();
  });
});
