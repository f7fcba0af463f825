import type { Deployment } from '@switchyard/config';

/** LiteLLM's model_info.mode of a model that answers chat completions; a model with no mode is one. */
const CHAT_MODES: ReadonlySet<string> = new Set(['chat', 'completion', 'responses']);

/** What a model group does (model_info.mode of its first deployment that says), `chat` when none says. */
export function groupMode(deployments: readonly Pick<Deployment, 'mode'>[]): string {
  return deployments.find((d) => d.mode !== undefined)?.mode ?? 'chat';
}

/** Whether a group with this mode can answer a chat completion. */
export function answersChat(mode: string): boolean {
  return CHAT_MODES.has(mode);
}
