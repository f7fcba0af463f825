import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { Errors } from '@switchyard/contracts';
import { ApiException } from './api.exception';
import { toGatewayError } from './api-exception.filter';

describe('toGatewayError', () => {
  it('passes ApiException through', () => {
    expect(toGatewayError(new ApiException(Errors.invalidRequest('x', 'f')))).toMatchObject({
      status: 400,
      param: 'f',
    });
  });
  it('maps body-parser errors', () => {
    expect(
      toGatewayError(Object.assign(new Error('too big'), { type: 'entity.too.large', status: 413, limit: 10 })),
    ).toMatchObject({ status: 413, code: 'request_too_large' });
    expect(toGatewayError(new PayloadTooLargeException())).toMatchObject({ status: 413 });
    expect(toGatewayError(new BadRequestException('Unexpected token'))).toMatchObject({
      status: 400,
      code: 'invalid_json',
    });
    expect(
      toGatewayError(Object.assign(new Error('x'), { type: 'encoding.unsupported', statusCode: 415 })),
    ).toMatchObject({ status: 415 });
  });
  it('maps unknown routes to 404 and anything else to a 500 without details', () => {
    expect(toGatewayError(new NotFoundException(), { method: 'GET', path: '/x' })).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    const e = toGatewayError(new Error('connection string postgres://u:secret@h/db'));
    expect(e.status).toBe(500);
    expect(e.message).not.toContain('secret');
  });
  it('never echoes the path of an unknown route (a secret may be pasted into it)', () => {
    const pasted = 'sk-live-0123456789abcdef0123456789abcdef';
    const e = toGatewayError(new NotFoundException(), { method: 'GET', path: `/key/${pasted}` });
    expect(e).toMatchObject({ status: 404, message: expect.stringMatching(/no GET route at this path/) });
    expect(e.message).not.toContain(pasted);
  });
  it('maps Postgres data exceptions (class 22) to a 400 without the server text', () => {
    for (const code of ['22021', '22P05', '22003']) {
      const pgError = Object.assign(new Error('invalid byte sequence near INSERT INTO "teams" secret'), {
        code,
        severity: 'ERROR',
      });
      const e = toGatewayError(pgError);
      expect(e).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'invalid_value' });
      expect(e.message).not.toMatch(/INSERT|teams|secret/);
    }
    // Other SQLSTATEs (a unique violation, a deadlock) stay server errors.
    expect(toGatewayError(Object.assign(new Error('x'), { code: '23505', severity: 'ERROR' })).status).toBe(500);
    expect(toGatewayError(Object.assign(new Error('x'), { code: '40P01', severity: 'ERROR' })).status).toBe(500);
  });
});
