import { describe, expect, it } from 'vitest';
import { nestLogLevels } from './nest-log-levels';

describe('nestLogLevels', () => {
  it('prints LOG_LEVEL and everything less verbose', () => {
    expect(nestLogLevels({ LOG_LEVEL: 'error' })).toEqual(['error']);
    expect(nestLogLevels({ LOG_LEVEL: 'debug' })).toEqual(['error', 'warn', 'log', 'debug']);
    expect(nestLogLevels({ LOG_LEVEL: 'verbose' })).toHaveLength(5);
  });

  it('defaults to log, and names a wrong value', () => {
    expect(nestLogLevels({})).toEqual(['error', 'warn', 'log']);
    expect(() => nestLogLevels({ LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL: must be one of error, warn, log, debug, verbose, got "loud"/,
    );
  });
});
