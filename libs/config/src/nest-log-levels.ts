import type { LogLevel } from '@nestjs/common';
import { EnvSchema } from './env.schema';

/** Nest's levels, least verbose first: LOG_LEVEL names the most verbose one printed. */
const LEVELS: readonly LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/**
 * The `logger` option for NestFactory (or app.useLogger) from LOG_LEVEL. Takes the raw environment too, so
 * a service can set its logger before anything else loads the validated one.
 */
export function nestLogLevels(env: { LOG_LEVEL?: string } = process.env): LogLevel[] {
  const level = EnvSchema.shape.LOG_LEVEL.safeParse(env.LOG_LEVEL);
  if (!level.success) {
    throw new Error(`Invalid environment:\n  LOG_LEVEL: must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}".`);
  }
  return LEVELS.slice(0, LEVELS.indexOf(level.data) + 1);
}
