import { describe, expect, it } from 'vitest';
import { generateKeySecret, hashKey, keyPrefix } from './key-secret';

describe('key secrets', () => {
  it('generates sk-sy- plus 40 base62 characters, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = generateKeySecret();
      expect(s).toMatch(/^sk-sy-[A-Za-z0-9]{40}$/);
      seen.add(s);
    }
    expect(seen.size).toBe(200);
  });

  it('hashes with sha256 hex', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('shows first 8 and last 4 characters only', () => {
    expect(keyPrefix('sk-sy-AbCdefghijklmnopqrstuvwxyZ9')).toBe('sk-sy-Ab...xyZ9');
  });
});
