import type { ProviderAdapter, UpstreamRequest } from '../provider-adapter';
import type { RequestContext } from '../credentials/credentials.types';
import { createBedrockCredentials } from './bedrock.credentials';
import { normaliseBedrockError } from './bedrock.errors';
import { buildBedrockRequest } from './bedrock.request';
import { bedrockCompletionId, parseBedrockResponse } from './bedrock.response';
import { signBedrockRequest } from './bedrock.signer';
import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { BedrockStreamReader } from './bedrock.stream';
import { bedrockEmbeddings } from './bedrock.embeddings';
import { bedrockClaudePassthrough } from './bedrock.passthrough';

/**
 * AWS Bedrock through the runtime's Converse API (`bedrock/<model id>`, or LiteLLM's `bedrock/converse/...`):
 * requests translated to Converse and signed with SigV4, answers and ConverseStream event streams translated
 * back to OpenAI chat completions. Choices where Converse and OpenAI differ:
 * - `tool_choice: "none"` leaves the tools out (Converse has no such choice); refused when the conversation
 *   already holds tool calls, since Converse then needs their definitions.
 * - `response_format` json_schema uses Converse's structured output (`outputConfig`) on models that have it
 *   (Claude 4.5 and later); elsewhere, and for json_object, a tool the model is made to call, whose input is
 *   the answer's content (finish_reason `stop`). That forced call cannot go with extended thinking.
 * - Images must be base64 data URLs: Converse takes bytes (or S3), and the gateway fetches no URLs.
 * - `reasoning_effort` is Anthropic's extended thinking (budgets 1024/1024/2048/4096 for minimal/low/medium/
 *   high, as LiteLLM); thinking comes back as `reasoning_content` and signed `thinking_blocks`, which clients
 *   send back on assistant messages to continue. Other families' reasoning settings are not mapped.
 * - `cache_control` on messages, parts and tools becomes cache points; usage reports cache reads and writes.
 * - `user` and string `metadata` become `requestMetadata` (Bedrock's invocation-log metadata).
 * Messages clients (`/v1/messages`) on Claude models pass through InvokeModel instead (bedrock.passthrough.ts).
 */
const signWithAws = async (request: UpstreamRequest, ctx: RequestContext): Promise<UpstreamRequest> => {
  const aws = ctx.credentials.aws;
  if (aws === undefined) throw new Error('bedrock requests need AWS keys; the credentials resolved to none');
  return signBedrockRequest(request, aws, ctx.now());
};

export const bedrockAdapter: ProviderAdapter<'aws-eventstream'> = {
  provider: 'bedrock',
  api: 'native',
  streamFraming: 'aws-eventstream',
  credentials: createBedrockCredentials(),
  chat: {
    buildRequest: (input, deployment, ctx) => buildBedrockRequest(input, deployment, ctx),
    signRequest: signWithAws,
    parseResponse: (body, input) => parseBedrockResponse(body, input),
    createStreamTranslator: (opts) =>
      canonicalStreamTranslator(
        opts,
        new BedrockStreamReader({
          id: opts.request?.id ?? bedrockCompletionId(),
          model: opts.request?.model ?? '',
          created: Math.floor(Date.now() / 1000),
        }),
      ),
  },
  embeddings: { ...bedrockEmbeddings, signRequest: signWithAws },
  passthrough: { 'anthropic.messages': { ...bedrockClaudePassthrough, signRequest: signWithAws } },
  normaliseError: (reply, deployment) => normaliseBedrockError(reply, deployment),
};
