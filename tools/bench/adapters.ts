/**
 * The hot-path cost of each provider adapter, in process: building the upstream request (signing
 * included, for Bedrock), reading a whole answer, and translating a stream, chunk by chunk.
 *
 *   node dist/tools/bench/adapters.js [--iterations 20000] [--only anthropic,bedrock]
 *
 * For each provider it starts that provider's fake server (libs/testing), makes one real call of each
 * kind through the adapter to capture the provider's bytes (a non-streamed answer, and a stream with a
 * text), then times the adapter's own work on those bytes; no network in the timed part. Prints
 * µs per request (build + parse) and per stream chunk (frame decoding + translation to OpenAI chunks).
 */
import { performance } from 'node:perf_hooks';
import {
  adapterFor,
  chatInput,
  createFrameDecoder,
  type ProviderAdapter,
  type ProviderDeployment,
  type RequestContext,
} from '@switchyard/providers';
import {
  FAKE_AWS_KEYS,
  startFakeAzureOpenAI,
  startFakeBedrock,
  startFakeAnthropic,
  startFakeCohere,
  startFakeGemini,
  startFakeOpenAI,
} from '@switchyard/testing';

interface Case {
  provider: string;
  /** Starts the provider's fake; returns the deployment that points at it and a way to stop it. */
  start(): Promise<{ deployment: ProviderDeployment; close(): Promise<void> }>;
}

const CASES: Case[] = [
  {
    provider: 'openai',
    start: async () => {
      const fake = await startFakeOpenAI({ chunks: 40 });
      return {
        deployment: {
          id: 'bench-openai',
          modelName: 'm',
          provider: 'openai',
          model: 'gpt-4o-mini',
          apiBase: fake.url,
          apiKey: 'sk-bench',
        },
        close: () => fake.close(),
      };
    },
  },
  {
    provider: 'cohere',
    start: async () => {
      const fake = await startFakeCohere({ apiKey: 'co-bench' });
      return {
        deployment: {
          id: 'bench-cohere',
          modelName: 'm',
          provider: 'cohere',
          model: 'command-a-03-2025',
          apiBase: fake.url,
          apiKey: 'co-bench',
        },
        close: () => fake.close(),
      };
    },
  },
  {
    provider: 'azure',
    start: async () => {
      const fake = await startFakeAzureOpenAI({ chunks: 40, apiKey: 'azure-bench' });
      return {
        deployment: {
          id: 'bench-azure',
          modelName: 'm',
          provider: 'azure',
          model: 'gpt-4o-prod',
          apiBase: fake.url,
          apiKey: 'azure-bench',
        },
        close: () => fake.close(),
      };
    },
  },
  {
    provider: 'anthropic',
    start: async () => {
      const fake = await startFakeAnthropic({ apiKey: 'sk-ant-bench' });
      return {
        deployment: {
          id: 'bench-anthropic',
          modelName: 'm',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          apiBase: fake.url,
          apiKey: 'sk-ant-bench',
        },
        close: () => fake.close(),
      };
    },
  },
  {
    provider: 'gemini',
    start: async () => {
      const fake = await startFakeGemini({ apiKey: 'gemini-bench', chunks: 40 });
      return {
        deployment: {
          id: 'bench-gemini',
          modelName: 'm',
          provider: 'gemini',
          model: 'gemini-2.5-flash',
          apiBase: fake.url,
          apiKey: 'gemini-bench',
        },
        close: () => fake.close(),
      };
    },
  },
  {
    provider: 'vertex_ai',
    start: async () => {
      const fake = await startFakeGemini({ chunks: 40 });
      const account = fake.createServiceAccount({ projectId: 'bench-project' });
      return {
        deployment: {
          id: 'bench-vertex',
          modelName: 'm',
          provider: 'vertex_ai',
          model: 'gemini-2.5-flash',
          apiBase: fake.url,
          params: { family: 'vertex_ai', vertex_credentials: account.key, vertex_location: 'us-central1' },
        } as ProviderDeployment,
        close: () => fake.close(),
      };
    },
  },
  {
    provider: 'bedrock',
    start: async () => {
      const fake = await startFakeBedrock({ chunks: 40 });
      const [accessKeyId, key] = Object.entries(FAKE_AWS_KEYS)[0]!;
      return {
        deployment: {
          id: 'bench-bedrock',
          modelName: 'm',
          provider: 'bedrock',
          model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
          params: {
            family: 'bedrock',
            aws_access_key_id: accessKeyId,
            aws_secret_access_key: key.secretAccessKey,
            aws_region_name: fake.region,
            aws_bedrock_runtime_endpoint: fake.url,
          },
        },
        close: () => fake.close(),
      };
    },
  },
];

const enc = new TextEncoder();
const REQUEST = {
  model: 'm',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is the weather in Paris? Answer in one sentence, please.' },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
  ],
  max_tokens: 256,
  temperature: 0.2,
};

function args(argv: string[]): { iterations: number; only: string[] | undefined } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const iterations = Number(get('iterations') ?? '20000');
  if (!Number.isInteger(iterations) || iterations <= 0) throw new Error('--iterations takes a positive integer');
  return { iterations, only: get('only')?.split(',') };
}

async function context(adapter: ProviderAdapter, deployment: ProviderDeployment): Promise<RequestContext> {
  const credentials = await adapter.credentials.resolve(deployment, Date.now());
  return { now: Date.now, credentials };
}

/** One real call through the adapter's own request: the bytes the provider answers with. */
async function capture(adapter: ProviderAdapter, deployment: ProviderDeployment, ctx: RequestContext, stream: boolean) {
  // Streams are captured without tools, so the provider streams text piece by piece: the per-chunk figure is
  // that of a text stream (a tool call arrives in one or a few events whatever the provider).
  const { tools: _tools, ...plain } = REQUEST;
  const input = chatInput(enc.encode(JSON.stringify(stream ? { ...plain, stream } : REQUEST)));
  const built = adapter.chat.buildRequest(input, deployment, ctx);
  const req = adapter.chat.signRequest !== undefined ? await adapter.chat.signRequest(built, ctx) : built;
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200)
    throw new Error(
      `${deployment.provider}: the fake answered ${res.status}: ${new TextDecoder().decode(bytes).slice(0, 300)}`,
    );
  return { input, bytes };
}

async function timeAsync(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 2000); i++) await fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return ((performance.now() - t0) * 1000) / iterations;
}

function time(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - t0) * 1000) / iterations;
}

async function main(): Promise<void> {
  const { iterations, only } = args(process.argv.slice(2));
  const rows: string[][] = [['provider', 'build µs', 'parse µs', 'stream µs/chunk', 'chunks', 'request total µs']];
  for (const c of CASES) {
    if (only !== undefined && !only.includes(c.provider)) continue;
    const { deployment, close } = await c.start();
    try {
      const adapter = adapterFor(deployment);
      const ctx = await context(adapter, deployment);
      const whole = await capture(adapter, deployment, ctx, false);
      const streamed = await capture(adapter, deployment, ctx, true);
      const sign = adapter.chat.signRequest;
      // Signing (AWS SigV4) is part of building the request, and async.
      const build =
        sign === undefined
          ? time(iterations, () => {
              adapter.chat.buildRequest(chatInput(whole.input.raw), deployment, ctx);
            })
          : await timeAsync(iterations, () =>
              sign(adapter.chat.buildRequest(chatInput(whole.input.raw), deployment, ctx), ctx),
            );
      const parse = time(iterations, () => {
        adapter.chat.parseResponse(whole.bytes, whole.input);
      });
      let chunks = 0;
      const streamRun = () => {
        const decoder = createFrameDecoder(adapter.streamFraming);
        const tr = adapter.chat.createStreamTranslator({
          includeUsage: true,
          request: { id: 'chatcmpl-bench', model: 'm', n: 1 },
        });
        let events = 0;
        for (const e of [...decoder.push(streamed.bytes), ...decoder.end()]) {
          tr.push(e as never);
          events++;
        }
        tr.end();
        if (tr.state.error !== undefined) throw new Error(`${c.provider}: stream failed: ${tr.state.error.message}`);
        chunks = events;
      };
      streamRun();
      const perStream = time(Math.max(1, Math.floor(iterations / 10)), streamRun);
      rows.push([
        c.provider,
        build.toFixed(1),
        parse.toFixed(1),
        (perStream / chunks).toFixed(2),
        String(chunks),
        (build + parse).toFixed(1),
      ]);
      process.stderr.write(`${c.provider}: done\n`);
    } finally {
      await close();
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((v, i) => v.padStart(widths[i]!)).join('  '));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
