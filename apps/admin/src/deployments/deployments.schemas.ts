import { z } from 'zod';

export const DeploymentStateSchema = z.object({
  id: z.string().describe('model_info.id, or derived from the entry'),
  model_name: z.string().describe('the group clients ask for'),
  provider: z.string(),
  model: z.string().describe('the model sent upstream'),
  weight: z.number(),
  rpm: z.number().nullable(),
  tpm: z.number().nullable(),
  order: z.number().nullable(),
  in_flight: z.number().int().describe('attempts in flight across every router'),
  latency_ms: z
    .number()
    .nullable()
    .describe("average of every router's last samples (time to first token for streams)"),
  requests_1m: z.number().int().describe('attempts that ended in about the last minute'),
  errors_1m: z.number().int().describe("of those, the deployment's own failures (5xx, 429, timeouts, auth...)"),
  error_rate: z.number().nullable().describe('errors_1m / requests_1m'),
  cooldown_until: z.string().nullable().describe('ISO time its cooldown ends; null when it takes traffic'),
  usage_this_minute: z
    .object({ requests: z.number().int(), tokens: z.number().int() })
    .describe('what usage-based-routing-v2 counts against rpm / tpm (zero under other strategies)'),
});
export type DeploymentStateJson = z.infer<typeof DeploymentStateSchema>;

export const DeploymentListSchema = z.object({
  data: z.array(DeploymentStateSchema),
  routers: z.number().int().describe('router instances that shared their numbers in the last few seconds'),
  live_state: z.boolean().describe('false when Redis could not be read: only the configured fields are known'),
});
export type DeploymentListJson = z.infer<typeof DeploymentListSchema>;
