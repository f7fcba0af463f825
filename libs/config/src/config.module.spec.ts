import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONFIG, ConfigModule, PROVIDER_DEPLOYMENTS } from './config.module';
import type { ResolvedDeployment, SwitchyardConfig } from './switchyard-config';

const path = join(mkdtempSync(join(tmpdir(), 'sy-config-')), 'config.yaml');
writeFileSync(
  path,
  `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: os.environ/SY_TEST_OPENAI_KEY, temperature: 0.5, vendor_knob: 1 }
`,
);

@Module({ imports: [ConfigModule] })
class RoutingApp {}

@Module({ imports: [ConfigModule.withProviderSecrets()] })
class TranslatorApp {}

const boot = (module: typeof RoutingApp | typeof TranslatorApp) =>
  NestFactory.createApplicationContext(module, { logger: false });

describe('ConfigModule', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.restoreAllMocks();
  });

  it('gives routing services the routing view, without needing provider variables', async () => {
    process.env = { ...saved, SWITCHYARD_CONFIG: path };
    delete process.env['SY_TEST_OPENAI_KEY'];
    const app = await boot(RoutingApp);
    const config = app.get<SwitchyardConfig>(CONFIG);
    expect(config.deployments[0]).not.toHaveProperty('apiKey');
    expect(() => app.get(PROVIDER_DEPLOYMENTS)).toThrow();
    await app.close();
  });

  it('gives the translator resolved deployments with the same ids, and fails without the variable', async () => {
    process.env = { ...saved, SWITCHYARD_CONFIG: path, SY_TEST_OPENAI_KEY: 'sk-test' };
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const routing = await boot(RoutingApp);
    const translator = await boot(TranslatorApp);
    const [deployment] = translator.get<readonly ResolvedDeployment[]>(PROVIDER_DEPLOYMENTS);
    expect(deployment).toMatchObject({ apiKey: 'sk-test', requestDefaults: { temperature: 0.5 } });
    expect(deployment!.id).toBe(routing.get<SwitchyardConfig>(CONFIG).deployments[0]!.id);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('vendor_knob'));
    await Promise.all([routing.close(), translator.close()]);

    delete process.env['SY_TEST_OPENAI_KEY'];
    await expect(
      NestFactory.createApplicationContext(TranslatorApp, { logger: false, abortOnError: false }),
    ).rejects.toThrow(
      /model_list\[0\] \(gpt-4o\)\.litellm_params\.api_key refers to environment variable SY_TEST_OPENAI_KEY/,
    );
  });
});
