import { describe, expect, it } from 'vitest';
import { clientErrorStatus, nodeServerOptions, type HttpEdgeSettings } from './http-edge';
import { loadEnv } from '@switchyard/config';

const settings: HttpEdgeSettings = {
  headersTimeoutMs: 2000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnectionsPerClient: 10,
  shutdownGraceMs: 1000,
};

describe('http edge settings', () => {
  it('sweeps for timed-out requests often enough to enforce the shorter timeout', () => {
    expect(nodeServerOptions(settings)).toEqual({
      headersTimeout: 2000,
      requestTimeout: 30_000,
      keepAliveTimeout: 65_000,
      connectionsCheckingInterval: 500,
    });
    expect(nodeServerOptions({ ...settings, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 })).toMatchObject({
      connectionsCheckingInterval: 1000,
    });
  });

  it('maps parser rejections to 408, 431 and 400 with a message saying what to do', () => {
    const timeout = clientErrorStatus(Object.assign(new Error('t'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), settings);
    expect(timeout).toEqual({ status: 408, message: expect.stringMatching(/within 30 s .* headers within 2 s/) });
    expect(clientErrorStatus(Object.assign(new Error('h'), { code: 'HPE_HEADER_OVERFLOW' }), settings).status).toBe(
      431,
    );
    expect(clientErrorStatus(Object.assign(new Error('x'), { code: 'HPE_INVALID_CONSTANT' }), settings).status).toBe(
      400,
    );
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() =>
      loadEnv({ SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS: '5000', SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS: '1000' }),
    ).toThrow(/SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS: must be at most SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS/);
  });
});
