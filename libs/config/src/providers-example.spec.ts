import { join } from 'node:path';
import { adapterFor } from '@switchyard/providers';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config';

const FILE = join(__dirname, '../../../infra/config/providers.example.yaml');

describe('infra/config/providers.example.yaml', () => {
  it('loads, and every deployment in it has an adapter', () => {
    const env = Object.fromEntries(
      [
        'OPENAI_API_KEY',
        'AZURE_API_KEY',
        'AZURE_TENANT_ID',
        'AZURE_CLIENT_ID',
        'AZURE_CLIENT_SECRET',
        'ANTHROPIC_API_KEY',
        'GEMINI_API_KEY',
        'GOOGLE_APPLICATION_CREDENTIALS',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'COHERE_API_KEY',
        'GROQ_API_KEY',
        'MISTRAL_API_KEY',
        'DEEPSEEK_API_KEY',
        'XAI_API_KEY',
        'OPENROUTER_API_KEY',
      ].map((name) => [name, `test-value-for-${name}`]),
    );
    const config = loadConfig(FILE, env);
    expect(config.deployments.length).toBeGreaterThan(15);
    for (const d of config.deployments) expect(() => adapterFor(d), `${d.id} (${d.provider})`).not.toThrow();
    expect(new Set(config.deployments.map((d) => d.provider))).toEqual(
      new Set([
        'openai',
        'azure',
        'anthropic',
        'gemini',
        'vertex_ai',
        'bedrock',
        'cohere',
        'groq',
        'mistral',
        'deepseek',
        'xai',
        'openrouter',
        'ollama',
        'hosted_vllm',
      ]),
    );
  });
});
