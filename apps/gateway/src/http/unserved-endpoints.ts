/**
 * Endpoints of the OpenAI and Anthropic APIs that clients call and Switchyard does not serve yet. They
 * answer 404 saying so, rather than "unknown URL", so a client pointed here knows it is not a typo.
 */
const UNSERVED: readonly { prefix: string; name: string }[] = [
  { prefix: 'images', name: 'Images (/v1/images)' },
  { prefix: 'audio', name: 'Audio (/v1/audio)' },
  { prefix: 'moderations', name: 'Moderations (/v1/moderations)' },
  { prefix: 'rerank', name: 'Rerank (/v1/rerank)' },
  { prefix: 'files', name: 'Files (/v1/files)' },
  { prefix: 'batches', name: 'Batches (/v1/batches)' },
  { prefix: 'uploads', name: 'Uploads (/v1/uploads)' },
  { prefix: 'fine_tuning', name: 'Fine-tuning (/v1/fine_tuning)' },
  { prefix: 'assistants', name: 'Assistants (/v1/assistants)' },
  { prefix: 'threads', name: 'Threads (/v1/threads)' },
  { prefix: 'vector_stores', name: 'Vector stores (/v1/vector_stores)' },
  { prefix: 'realtime', name: 'Realtime (/v1/realtime)' },
];

/** The not-yet-supported message for a path of one of those endpoints, or undefined for any other path. */
export function unservedEndpointMessage(url: string): string | undefined {
  const path = url.split('?')[0]!.replace(/^\/v1(?=\/)/, '');
  const first = /^\/([^/]+)/.exec(path)?.[1];
  const hit = UNSERVED.find((u) => u.prefix === first);
  if (!hit) return undefined;
  return `${hit.name} is not supported by Switchyard yet. Served today: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/messages (with /v1/messages/count_tokens), /v1/responses and /v1/models.`;
}
