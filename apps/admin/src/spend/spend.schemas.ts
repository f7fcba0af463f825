import { z } from 'zod';

export const SpendRowJsonSchema = z.object({
  group: z.string().describe('Team id or model name'),
  spend: z.number().describe('USD'),
  requests: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
});
export type SpendRowJson = z.infer<typeof SpendRowJsonSchema>;
export const SpendReportJsonSchema = z.object({ data: z.array(SpendRowJsonSchema) });
