import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Every environment variable Switchyard reads, validated once at boot. */
export const EnvSchema = z.object({
  SWITCHYARD_CONFIG: z.string().optional(),
  SWITCHYARD_MASTER_KEY: z.string().min(8).optional(),
  GATEWAY_PORT: port(4000),
  ADMIN_PORT: port(4001),
  GATEWAY_HOST: z.string().default('0.0.0.0'),
  ADMIN_HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/switchyard'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  CLICKHOUSE_URL: z.string().default('http://127.0.0.1:8123'),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/)
    .default('switchyard'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  /** Prefix of every NATS subject and stream, so stacks sharing one NATS server stay apart. */
  SWITCHYARD_NATS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,32}$/)
    .default('sy'),
  /** Prefix of every Redis key and BullMQ queue. */
  SWITCHYARD_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_:-]{1,64}$/)
    .default('sy'),
  /**
   * Largest request body accepted. Unset: as large as one NATS message can carry (the server's
   * max_payload less room for headers; 1 MiB by default), since the body crosses NATS in one message.
   */
  SWITCHYARD_MAX_BODY_BYTES: z.coerce.number().int().positive().optional(),
  /** Identifies one process in reply subjects and logs; random when unset. */
  SWITCHYARD_INSTANCE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/)
    .optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});
export type Env = z.infer<typeof EnvSchema>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}\nFix these variables and start again.`);
  }
  return parsed.data;
}
