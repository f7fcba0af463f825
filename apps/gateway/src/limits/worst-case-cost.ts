import type { Deployment } from '@switchyard/config';
import type { RequestSummary } from '@switchyard/contracts';
import { costWith, lookupModel, type ModelInfo } from '@switchyard/pricing';

/** What a request may cost at most, reserved against its budgets before it runs, and what counts against tpm. */
export interface WorstCase {
  /** nano-USD: the dearest deployment of the group at the prompt estimate plus the most output, capped. */
  costNanos: bigint;
  /** Prompt estimate plus max_tokens (when given): what OpenAI counts against a tokens-per-minute limit. */
  tokens: number;
}

/** ceil(characters / 4), the estimate the gateway uses wherever a tokenizer is not at hand. */
export function promptTokenEstimate(promptChars: number): number {
  return Math.ceil(Math.max(0, promptChars) / 4);
}

/**
 * The worst case of a request: for each deployment that may serve it (the router picks one, a fallback may pick
 * another in the group), its price at the prompt estimate plus `max_tokens` (or the model's maximum output) for
 * each of the `n` choices; the dearest wins, capped at `capNanos`. A model without a price reserves nothing (the
 * spend service cannot charge it either).
 */
export function worstCaseCost(
  summary: Pick<RequestSummary, 'promptChars' | 'maxTokens' | 'n' | 'model'>,
  deployments: readonly Pick<Deployment, 'model' | 'baseModel'>[],
  capNanos: bigint,
): WorstCase {
  const prompt = promptTokenEstimate(summary.promptChars);
  const choices = Math.max(1, summary.n ?? 1);
  let worst = 0n;
  const infos: ModelInfo[] = [];
  for (const d of deployments) {
    const info = lookupModel(d.baseModel ?? d.model) ?? lookupModel(summary.model);
    if (info) infos.push(info);
  }
  if (infos.length === 0) {
    const info = lookupModel(summary.model);
    if (info) infos.push(info);
  }
  for (const info of infos) {
    const output = Math.min(summary.maxTokens ?? info.maxOutputTokens, info.maxOutputTokens || Infinity);
    const cost = costWith(info, { promptTokens: prompt, completionTokens: Math.max(0, output) * choices });
    if (cost > worst) worst = cost;
  }
  return {
    costNanos: worst > capNanos ? capNanos : worst,
    tokens: prompt + (summary.maxTokens ?? 0) * choices,
  };
}
