import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsIn } from './redact-url';

describe('redactUrl', () => {
  it('hides a password, keeping user, host, port and path', () => {
    expect(redactUrl('nats://user:pa55@nats.internal:4222')).toBe('nats://user:***@nats.internal:4222');
    expect(redactUrl('postgres://app:s3cret@db:5432/switchyard')).toBe('postgres://app:***@db:5432/switchyard');
    expect(redactUrl('redis://:only-pass@cache:6379/0')).toBe('redis://:***@cache:6379/0');
  });

  it('hides a token given as the user part', () => {
    expect(redactUrl('nats://s3cr3t-token@nats:4222')).toBe('nats://***@nats:4222');
    expect(redactUrl('tls://t0ken@nats:4443')).toBe('tls://***@nats:4443');
  });

  it('redacts every URL of a comma-separated list, with or without a scheme', () => {
    expect(redactUrl('nats://a:pw1@n1:4222,nats://b:pw2@n2:4222,n3:4222')).toBe(
      'nats://a:***@n1:4222,nats://b:***@n2:4222,n3:4222',
    );
    expect(redactUrl('user:pw@n1:4222,tok@n2:4222')).toBe('user:***@n1:4222,***@n2:4222');
  });

  it('handles a password with an unescaped @ and credentials in the query', () => {
    expect(redactUrl('postgres://app:p@ss@db/x')).toBe('postgres://app:***@db/x');
    expect(redactUrl('postgres://db/x?sslmode=require&password=pw&user=app')).toBe(
      'postgres://db/x?sslmode=require&password=***&user=app',
    );
    expect(redactUrl('http://ch:8123/?access_token=abc')).toBe('http://ch:8123/?access_token=***');
  });

  it('leaves a URL without credentials unchanged', () => {
    for (const url of ['nats://127.0.0.1:4222', 'http://127.0.0.1:8123', 'redis://cache:6379', 'not a url']) {
      expect(redactUrl(url)).toBe(url);
    }
    expect(redactUrl('http://host/path@x')).toBe('http://host/path@x');
  });
});

describe('redactUrlsIn', () => {
  it('redacts URLs inside a message and leaves the rest', () => {
    expect(redactUrlsIn('connect failed to nats://u:pw@n1:4222 (and tls://tok@n2:4443), user@example.com')).toBe(
      'connect failed to nats://u:***@n1:4222 (and tls://***@n2:4443), user@example.com',
    );
    expect(redactUrlsIn('CONNECTION_REFUSED')).toBe('CONNECTION_REFUSED');
  });
});
