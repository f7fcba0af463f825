import { describe, expect, it } from 'vitest';
import { buildRoutingConfig, ConfigError } from './load-config';
import {
  DEMO_MASTER_KEY,
  isLoopbackHost,
  masterKeyPolicy,
  MIN_MASTER_KEY_LENGTH,
  resolveMasterKey,
} from './master-key';

const STRONG = `sk-${'a1'.repeat(20)}`;
const gateway = (env: NodeJS.ProcessEnv, configMasterKey?: string) =>
  masterKeyPolicy({ env, configMasterKey, hostVariable: 'GATEWAY_HOST' });

describe('resolveMasterKey', () => {
  it('takes SWITCHYARD_MASTER_KEY over the config, the config over the demo key', () => {
    expect(resolveMasterKey('sk-1234', { SWITCHYARD_MASTER_KEY: STRONG })).toEqual({
      value: STRONG,
      source: 'environment',
    });
    expect(resolveMasterKey('sk-1234', {})).toEqual({ value: 'sk-1234', source: 'config' });
    expect(resolveMasterKey(undefined, {})).toEqual({ value: DEMO_MASTER_KEY, source: 'demo' });
    // An empty variable is unset (Compose's `${SWITCHYARD_MASTER_KEY:-}`): the config's key still applies.
    expect(resolveMasterKey('sk-1234', { SWITCHYARD_MASTER_KEY: '' })).toMatchObject({ source: 'config' });
  });

  it('reads an os.environ/ master key, and names the variable when it is missing', () => {
    expect(resolveMasterKey('os.environ/MK', { MK: STRONG })).toEqual({ value: STRONG, source: 'config' });
    expect(() => resolveMasterKey('os.environ/MK', {})).toThrow(ConfigError);
    expect(() => resolveMasterKey('os.environ/MK', {})).toThrow(/MK, which is not set/);
  });

  it('is not needed by the routing view: router and spend load without the master key variable', () => {
    const doc = {
      model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m' } }],
      general_settings: { master_key: 'os.environ/NOT_SET_ANYWHERE' },
    };
    expect(buildRoutingConfig(doc, {}).masterKeySetting).toBe('os.environ/NOT_SET_ANYWHERE');
  });
});

describe('masterKeyPolicy', () => {
  it('lets a strong key listen where asked, on every interface by default', () => {
    expect(gateway({ SWITCHYARD_MASTER_KEY: STRONG })).toMatchObject({ host: '0.0.0.0', loopbackOnly: false });
    expect(gateway({ SWITCHYARD_MASTER_KEY: STRONG, GATEWAY_HOST: '10.0.0.5' })).toMatchObject({
      host: '10.0.0.5',
      loopbackOnly: false,
    });
    expect(gateway({}, STRONG)).toMatchObject({ host: '0.0.0.0', masterKey: { source: 'config' } });
    expect(gateway({ SWITCHYARD_MASTER_KEY: STRONG }).warning).toBeUndefined();
    expect(STRONG.length).toBeGreaterThanOrEqual(MIN_MASTER_KEY_LENGTH);
  });

  it('applies the demo key only when neither the environment nor the config names one, on loopback only', () => {
    const p = gateway({});
    expect(p).toMatchObject({ host: '127.0.0.1', loopbackOnly: true, masterKey: { value: DEMO_MASTER_KEY } });
    expect(p.warning).toMatch(/LOOPBACK ONLY: listening on 127\.0\.0\.1/);
    expect(p.warning).toContain('SWITCHYARD_MASTER_KEY');
    // The config's key wins over the demo: LiteLLM's example sk-1234 is the key, not the demo value.
    expect(gateway({}, 'sk-1234').masterKey).toEqual({ value: 'sk-1234', source: 'config' });
  });

  it('confines a short key (LiteLLM example sk-1234) to loopback and says why', () => {
    const p = gateway({}, 'sk-1234');
    expect(p).toMatchObject({ host: '127.0.0.1', loopbackOnly: true });
    expect(p.warning).toContain(`at least ${MIN_MASTER_KEY_LENGTH}`);
    expect(p.warning).not.toContain('sk-1234');
    expect(gateway({ GATEWAY_HOST: '::1' }, 'sk-1234').host).toBe('::1');
    expect(gateway({ GATEWAY_HOST: 'localhost' }, 'sk-1234').host).toBe('localhost');
    const justShort = 'k'.repeat(MIN_MASTER_KEY_LENGTH - 1);
    expect(gateway({ SWITCHYARD_MASTER_KEY: justShort }).loopbackOnly).toBe(true);
    expect(gateway({ SWITCHYARD_MASTER_KEY: justShort + 'k' }).loopbackOnly).toBe(false);
  });

  it('refuses a short key on a non-loopback address, saying what to do, without printing the key', () => {
    const refuse = () => gateway({ GATEWAY_HOST: '0.0.0.0' }, 'sk-1234');
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(/Refusing to listen on GATEWAY_HOST=0\.0\.0\.0.*7 characters long/);
    expect(refuse).toThrow(/SWITCHYARD_MASTER_KEY to a long random value.*127\.0\.0\.1/);
    try {
      refuse();
    } catch (e) {
      expect((e as Error).message).not.toContain('sk-1234');
    }
  });

  it('refuses the demo value on a non-loopback address, whether defaulted or set explicitly', () => {
    expect(() => gateway({ GATEWAY_HOST: '0.0.0.0' })).toThrow(/public demo key sk-switchyard-demo/);
    expect(() => gateway({ SWITCHYARD_MASTER_KEY: DEMO_MASTER_KEY, GATEWAY_HOST: '0.0.0.0' })).toThrow(
      /public demo value sk-switchyard-demo \(from SWITCHYARD_MASTER_KEY\)/,
    );
    expect(() => gateway({ GATEWAY_HOST: '192.168.1.20' }, DEMO_MASTER_KEY)).toThrow(ConfigError);
    // On loopback the demo value is fine, whoever set it.
    expect(gateway({ SWITCHYARD_MASTER_KEY: DEMO_MASTER_KEY }).host).toBe('127.0.0.1');
  });

  it('judges the admin host by ADMIN_HOST', () => {
    expect(() =>
      masterKeyPolicy({ env: { ADMIN_HOST: '0.0.0.0' }, configMasterKey: undefined, hostVariable: 'ADMIN_HOST' }),
    ).toThrow(/ADMIN_HOST=0\.0\.0\.0.*ADMIN_HOST=127\.0\.0\.1/);
    expect(
      masterKeyPolicy({ env: { GATEWAY_HOST: '0.0.0.0' }, configMasterKey: undefined, hostVariable: 'ADMIN_HOST' })
        .host,
    ).toBe('127.0.0.1');
  });

  it('names where the key came from, never the key itself unless it is the public demo value', () => {
    expect(gateway({ SWITCHYARD_MASTER_KEY: STRONG }).notice).toBe('master key from SWITCHYARD_MASTER_KEY');
    expect(gateway({}, STRONG).notice).toBe('master key from general_settings.master_key');
    expect(gateway({}).notice).toContain(DEMO_MASTER_KEY);
    expect(
      JSON.stringify([gateway({}, STRONG).notice, gateway({ SWITCHYARD_MASTER_KEY: STRONG }).notice]),
    ).not.toContain(STRONG);
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '127.0.0.1.example.com'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
