import { anthropicFinish } from '../anthropic/anthropic.response';

/** A JSON key followed by a string value. In JSON text a key's quotes are never escaped, so content cannot fake one. */
const OPENAI_FINISH = /"finish_reason"\s*:\s*"([a-z_]{1,32})"/;
const ANTHROPIC_STOP = /"stop_reason"\s*:\s*"([a-z_]{1,48})"/;

/**
 * Why a whole (non-streamed) answer ended, in OpenAI's words, read from the answer as the client receives it:
 * an OpenAI chat or completions body (`choices[0].finish_reason`) or an Anthropic Messages body (`stop_reason`,
 * mapped as the Messages adapter maps it). Undefined when the body names none (embeddings, an error).
 * A scan rather than a parse: the body may be megabytes and is already serialised.
 */
export function finishReasonOfAnswer(body: string): string | undefined {
  const openai = OPENAI_FINISH.exec(body);
  if (openai) return openai[1];
  const anthropic = ANTHROPIC_STOP.exec(body);
  if (anthropic) return anthropicFinish(anthropic[1]!, false);
  return undefined;
}
