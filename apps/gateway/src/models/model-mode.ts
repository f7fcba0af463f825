import type { ClientApi } from '@switchyard/contracts';
import type { Deployment } from '@switchyard/config';
import { lookupModel } from '@switchyard/pricing';

/** LiteLLM's model_info.mode of a model that answers chat completions; a model with no mode is one. */
const CHAT_MODES: ReadonlySet<string> = new Set(['chat', 'completion', 'responses']);

/** Client APIs answered by a chat-capable model (Messages and legacy completions are asked through chat). */
const CHAT_APIS: ReadonlySet<ClientApi> = new Set<ClientApi>([
  'openai.chat',
  'anthropic.messages',
  'openai.completions',
]);

/**
 * What a model group does, when something says: model_info.mode of its first deployment that sets one, else
 * the price catalogue's mode for that deployment's model; undefined when neither knows.
 */
export function knownGroupMode(deployments: readonly Pick<Deployment, 'mode' | 'model'>[]): string | undefined {
  const configured = deployments.find((d) => d.mode !== undefined)?.mode;
  if (configured !== undefined) return configured;
  for (const d of deployments) {
    const mode = d.model.includes('*') ? undefined : lookupModel(d.model)?.mode;
    if (mode !== undefined) return mode;
  }
  return undefined;
}

/** What a model group does (knownGroupMode), `chat` when nothing says. */
export function groupMode(deployments: readonly Pick<Deployment, 'mode' | 'model'>[]): string {
  return knownGroupMode(deployments) ?? 'chat';
}

/** Whether a group with this mode can answer a chat completion. */
export function answersChat(mode: string): boolean {
  return CHAT_MODES.has(mode);
}

/**
 * Why a group of this mode cannot serve `api`, or undefined when it can (or nothing says what it is: the
 * upstream decides). Chat, Anthropic messages and legacy completions need a chat-capable model; embeddings
 * an embedding model.
 */
export function modeRefusal(api: ClientApi, mode: string | undefined, model: string): string | undefined {
  if (mode === undefined) return undefined;
  const a = /^[aeiou]/.test(mode) ? 'an' : 'a';
  if (CHAT_APIS.has(api) && !answersChat(mode)) {
    const what =
      api === 'openai.completions' ? 'completions' : api === 'anthropic.messages' ? 'messages' : 'chat completions';
    return `The model \`${model}\` is ${a} ${mode} model (model_info.mode), not a chat model: it cannot answer ${what}. Pick a model whose mode in GET /v1/models is "chat".`;
  }
  if (api === 'openai.embeddings' && mode !== 'embedding') {
    return `The model \`${model}\` is ${a} ${mode} model (model_info.mode), not an embedding model: it cannot answer embeddings. Pick a model whose mode in GET /v1/models is "embedding".`;
  }
  return undefined;
}
