import { z } from 'zod';

export const SpendRowJsonSchema = z.object({
  group: z.string().describe('Team id or model name'),
  spend: z.number().describe('USD, for display; spend_nanos is exact'),
  spend_nanos: z
    .string()
    .regex(/^-?\d+$/)
    .describe('Nano-dollars (1e-9 USD) as a decimal string; exact'),
  requests: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
});
export type SpendRowJson = z.infer<typeof SpendRowJsonSchema>;
export const SpendReportJsonSchema = z.object({ data: z.array(SpendRowJsonSchema) });
