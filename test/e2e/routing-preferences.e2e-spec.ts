import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Stack, startFakeOpenAI, startStack, waitForUsageRow } from '@switchyard/testing';

type Body = OpenAI.ChatCompletionCreateParamsNonStreaming & Record<string, unknown>;

/**
 * Request-level selection through the five services, one fake upstream per deployment so each one's traffic is
 * counted on its own: the pre-call checks (context window, capabilities), OpenRouter's provider preferences, and
 * rule-based auto routes.
 */
describe('request-level routing end to end', () => {
  const fakes: Record<string, FakeUpstream> = {};
  let stack: Stack;
  let openai: OpenAI;
  const served = async (body: Body): Promise<string[]> => {
    const before = Object.fromEntries(Object.entries(fakes).map(([k, f]) => [k, f.requests]));
    const answer = await openai.chat.completions.create(body);
    expect(answer.choices[0]?.message.content).toBeTruthy();
    return Object.keys(fakes).filter((k) => fakes[k]!.requests > before[k]!);
  };
  const refusal = async (body: Body) => {
    const e = await openai.chat.completions.create(body).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(OpenAI.APIError);
    const err = e as InstanceType<typeof OpenAI.APIError>;
    return { status: err.status, code: err.code, param: err.param, message: err.message };
  };
  const user = (content: string) => [{ role: 'user' as const, content }];
  const long = 'lorem ipsum dolor sit amet '.repeat(60); // ~1600 characters, ~400 tokens

  beforeAll(async () => {
    for (const name of [
      'small',
      'big',
      'tiny',
      'roomy',
      'plain',
      'reasoner',
      'o',
      'g',
      'd',
      'cheap',
      'coder',
      'vision',
    ])
      fakes[name] = await startFakeOpenAI();
    const entry = (group: string, id: string, info: string, provider = 'openai') =>
      `  - model_name: ${group}
    litellm_params: { model: ${provider}/fake-${id}, api_base: ${fakes[id]!.url}, api_key: sk-fake }
    model_info: { id: ${id}${info ? `, ${info}` : ''} }`;
    stack = await startStack({
      configYaml: `
model_list:
${entry('chat', 'small', 'max_input_tokens: 200, supports_vision: false')}
${entry('chat', 'big', 'max_input_tokens: 100000')}
${entry('tiny', 'tiny', 'max_input_tokens: 50')}
${entry('tinyfb', 'tiny', 'max_input_tokens: 50').replace('id: tiny', 'id: tiny-fb')}
${entry('roomy', 'roomy', 'max_input_tokens: 100000')}
${entry('blind', 'small', 'supports_vision: false').replace('id: small', 'id: blind')}
${entry('think', 'plain', 'base_model: gpt-4o')}
${entry('think', 'reasoner', 'base_model: o1')}
${entry('prefs', 'o', 'base_model: gpt-4o')}
${entry('prefs', 'g', 'base_model: gpt-4o-mini', 'groq')}
${entry('prefs', 'd', 'base_model: o1', 'deepseek')}
${entry('cheap', 'cheap', '')}
${entry('coder', 'coder', '')}
${entry('vision', 'vision', '')}
router_settings:
  enable_pre_call_checks: true
  context_window_fallbacks: [{ tinyfb: [roomy] }]
  auto_routes:
    - model: auto
      rules:
        - { name: images, model: vision, images: true }
        - { name: vip, model: roomy, tag: vip }
        - { name: code, model: coder, last_user_message_matches: "\\\\b(?:function|class|def)\\\\b", ignore_case: true }
        - { name: short, model: cheap, max_prompt_tokens: 50 }
      default: roomy
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  });

  describe('pre-call checks (enable_pre_call_checks)', () => {
    it('skips the deployment whose context window cannot hold the prompt', async () => {
      for (let i = 0; i < 6; i++) expect(await served({ model: 'chat', messages: user(long) })).toEqual(['big']);
      // A short prompt fits both: both serve some of 20.
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) for (const f of await served({ model: 'chat', messages: user('Hi') })) seen.add(f);
      expect([...seen].sort()).toEqual(['big', 'small']);
      // max_tokens must fit beside the prompt too.
      expect(await served({ model: 'chat', messages: user('Hi'), max_tokens: 500 })).toEqual(['big']);
    });

    it('skips the deployment whose model lacks a capability the request uses', async () => {
      const image = [
        {
          role: 'user' as const,
          content: [
            { type: 'text' as const, text: 'What is this?' },
            { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ];
      for (let i = 0; i < 5; i++) expect(await served({ model: 'chat', messages: image })).toEqual(['big']);
      const before = fakes.small!.requests;
      const r = await refusal({ model: 'blind', messages: image });
      expect(r).toMatchObject({ status: 400, code: 'model_capability_missing', param: 'messages' });
      expect(r.message).toContain('image input');
      expect(fakes.small!.requests).toBe(before);
      // From the pricing catalogue: gpt-4o does not reason, o1 does.
      for (let i = 0; i < 5; i++)
        expect(await served({ model: 'think', messages: user('Think'), reasoning_effort: 'low' })).toEqual([
          'reasoner',
        ]);
    });

    it('tries context_window_fallbacks first, and answers a clear 400 when nothing is large enough', async () => {
      expect(await served({ model: 'tinyfb', messages: user(long) })).toEqual(['roomy']);
      const before = fakes.tiny!.requests;
      expect(await refusal({ model: 'tiny', messages: user(long) })).toMatchObject({
        status: 400,
        code: 'context_length_exceeded',
        param: 'messages',
      });
      expect(fakes.tiny!.requests).toBe(before);
    });
  });

  describe("OpenRouter's provider preferences", () => {
    const ask = (provider: unknown, extra: Record<string, unknown> = {}): Body => ({
      model: 'prefs',
      messages: user('Hi'),
      provider,
      ...extra,
    });
    const fiveTimes = async (body: Body) => {
      const all = new Set<string>();
      for (let i = 0; i < 5; i++) for (const f of await served(body)) all.add(f);
      return [...all];
    };

    it('order tries the named providers (or deployment ids) first', async () => {
      expect(await fiveTimes(ask({ order: ['deepseek', 'openai'] }))).toEqual(['d']);
      expect(await fiveTimes(ask({ order: ['g'] }))).toEqual(['g']);
    });

    it('order with allow_fallbacks false moves on only within the order', async () => {
      fakes.d!.failNext(1, { status: 500 });
      const before = fakes.o!.requests + fakes.g!.requests;
      expect(await served(ask({ order: ['deepseek', 'openai'], allow_fallbacks: false }, { num_retries: 2 }))).toEqual([
        'o',
        'd',
      ]);
      expect(fakes.o!.requests + fakes.g!.requests).toBe(before + 1);
    });

    it('only and ignore narrow the deployments', async () => {
      expect(await fiveTimes(ask({ only: ['groq'] }))).toEqual(['g']);
      expect(await fiveTimes(ask({ ignore: ['openai', 'groq'] }))).toEqual(['d']);
    });

    it('sort price takes the cheapest by the pricing catalogue', async () => {
      expect(await fiveTimes(ask({ sort: 'price' }))).toEqual(['g']);
    });

    it('max_price keeps deployments within it, and a clear 400 when none is', async () => {
      expect(await fiveTimes(ask({ max_price: { prompt: 3, completion: 12 }, sort: 'price' }))).toEqual(['g']);
      expect(await fiveTimes(ask({ max_price: { prompt: 3 }, ignore: ['groq'] }))).toEqual(['o']);
      const r = await refusal(ask({ max_price: { prompt: 0.01 } }));
      expect(r).toMatchObject({ status: 400, code: 'no_provider_matches', param: 'provider.max_price' });
      expect(r.message).toContain('prompt at most $0.01');
    });

    it('require_parameters skips providers that refuse a parameter sent', async () => {
      // Groq refuses logprobs (its parameter map): the cheapest left is OpenAI's.
      expect(await fiveTimes(ask({ sort: 'price', require_parameters: true }, { logprobs: true }))).toEqual(['o']);
      expect(await fiveTimes(ask({ sort: 'price' }, { temperature: 0.5 }))).toEqual(['g']);
      expect(await refusal(ask({ only: ['groq'], require_parameters: true }, { logprobs: true }))).toMatchObject({
        status: 400,
        param: 'provider.require_parameters',
      });
    });

    it("moves on to the request's next model when no deployment of its model matches", async () => {
      const body = { ...ask({ only: ['groq'] }), model: 'chat', models: ['prefs'] };
      expect(await served(body)).toEqual(['g']);
    });

    it('refuses a provider object with wrong types, naming the field', async () => {
      expect(await refusal(ask({ sort: 'fastest' }))).toMatchObject({ status: 400, param: 'provider.sort' });
      expect(await refusal(ask({ order: 'openai' }))).toMatchObject({ status: 400, param: 'provider.order' });
      expect(await refusal(ask({ max_price: 5 }))).toMatchObject({ status: 400, param: 'provider.max_price' });
    });
  });

  describe('auto routes', () => {
    const route = async (body: Body) => {
      const { data, response } = await openai.chat.completions.create(body).withResponse();
      expect(data.choices[0]?.message.content).toBeTruthy();
      return [response.headers.get('x-switchyard-auto-route'), response.headers.get('x-switchyard-auto-route-rule')];
    };

    it('sends a request for the virtual model to the group of the first rule that matches, else the default', async () => {
      const image = [
        {
          role: 'user' as const,
          content: [{ type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }],
        },
      ];
      let before = fakes.vision!.requests;
      expect(await route({ model: 'auto', messages: image })).toEqual(['vision', 'images']);
      expect(fakes.vision!.requests).toBe(before + 1);
      expect(await route({ model: 'auto', messages: user('Hi') })).toEqual(['cheap', 'short']);
      // LiteLLM's metadata.tags.
      expect(await route({ model: 'auto', messages: user('Hi'), metadata: { tags: ['vip'] } as never })).toEqual([
        'roomy',
        'vip',
      ]);
      before = fakes.coder!.requests;
      expect(await route({ model: 'auto', messages: user(`${long} Write a Python DEF for it`) })).toEqual([
        'coder',
        'code',
      ]);
      expect(fakes.coder!.requests).toBe(before + 1);
      expect(await route({ model: 'auto', messages: user(long) })).toEqual(['roomy', 'default']);
    });

    it('names the route on a stream too, before its first byte', async () => {
      const before = fakes.cheap!.requests;
      const { data, response } = await openai.chat.completions
        .create({ model: 'auto', messages: user('Hi'), stream: true })
        .withResponse();
      expect(response.headers.get('x-switchyard-auto-route')).toBe('cheap');
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBeTruthy();
      expect(fakes.cheap!.requests).toBe(before + 1);
    });

    it('records the virtual model as requested and the group it went to as served', async () => {
      const { response } = await openai.chat.completions
        .create({ model: 'auto', messages: user('Hi there') })
        .withResponse();
      const requestId = response.headers.get('x-request-id')!;
      const row = await waitForUsageRow<{ requested_model: string; deployment_id: string }>(stack, {
        select: 'requested_model, deployment_id',
        where: `request_id = '${requestId}'`,
      });
      expect(row).toEqual({ requested_model: 'auto', deployment_id: 'cheap' });
      const models = await openai.models.list();
      expect(models.data.map((m) => m.id)).toContain('auto');
    });
  });
});
