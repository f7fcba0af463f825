import { ConfigError, resolveSecret } from './load-config';

/** The master key the quick start uses when none is named. It is in the README, so it guards loopback only. */
export const DEMO_MASTER_KEY = 'sk-switchyard-demo';

/**
 * Shortest master key accepted on an address other machines reach. 32 characters of a random value
 * (`sk-` + 24 random bytes in hex is 51) is far beyond guessing; LiteLLM's example `sk-1234` is not.
 */
export const MIN_MASTER_KEY_LENGTH = 32;

export type MasterKeySource = 'environment' | 'config' | 'demo';

export interface MasterKey {
  value: string;
  source: MasterKeySource;
}

/**
 * The master key in effect: SWITCHYARD_MASTER_KEY, else general_settings.master_key (an `os.environ/NAME`
 * reference is read here, so only the services that check the key need its variable), else the demo key.
 */
export function resolveMasterKey(configMasterKey: string | undefined, env: NodeJS.ProcessEnv): MasterKey {
  const fromEnv = env.SWITCHYARD_MASTER_KEY;
  if (fromEnv) return { value: fromEnv, source: 'environment' };
  if (configMasterKey !== undefined && configMasterKey !== '') {
    const resolved = resolveSecret(configMasterKey, env, 'general_settings.master_key');
    return { value: resolved.value!, source: 'config' };
  }
  return { value: DEMO_MASTER_KEY, source: 'demo' };
}

export type HostVariable = 'GATEWAY_HOST' | 'ADMIN_HOST';

export interface ListenPolicy {
  masterKey: MasterKey;
  /** Address to listen on. */
  host: string;
  /** True when the key only guards loopback (demo or short key): the host is 127.0.0.1 or another loopback. */
  loopbackOnly: boolean;
  /** One line naming where the key came from (never the key, unless it is the public demo value). */
  notice: string;
  /** Said loudly at start when the key confines the service to loopback. */
  warning?: string;
}

const DEFAULT_HOST = '0.0.0.0';
const LOOPBACK = '127.0.0.1';

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

function describe(key: MasterKey): string {
  switch (key.source) {
    case 'environment':
      return 'SWITCHYARD_MASTER_KEY';
    case 'config':
      return 'general_settings.master_key';
    case 'demo':
      return `the public demo key ${DEMO_MASTER_KEY} (neither SWITCHYARD_MASTER_KEY nor general_settings.master_key is set)`;
  }
}

/** Why the key may guard loopback only, or undefined when it may guard any address. */
function weakness(key: MasterKey): string | undefined {
  if (key.value === DEMO_MASTER_KEY) {
    return key.source === 'demo' ? describe(key) : `the public demo value ${DEMO_MASTER_KEY} (from ${describe(key)})`;
  }
  if (key.value.length < MIN_MASTER_KEY_LENGTH) {
    return `${key.value.length} characters long (from ${describe(key)}); a master key on a non-loopback address needs at least ${MIN_MASTER_KEY_LENGTH}`;
  }
  return undefined;
}

/**
 * Which master key a service checks and where it may listen. A strong key (at least MIN_MASTER_KEY_LENGTH
 * characters, not the demo value) listens where the host variable says (0.0.0.0 by default). A weak one
 * (the demo key, or a short key such as LiteLLM's example `sk-1234`) confines the service to loopback: an
 * unset host becomes 127.0.0.1, and a non-loopback host set explicitly is refused with what to do.
 * Pure: `env` is the process environment as given (an empty variable counts as unset).
 */
export function masterKeyPolicy(input: {
  env: NodeJS.ProcessEnv;
  configMasterKey: string | undefined;
  hostVariable: HostVariable;
}): ListenPolicy {
  const masterKey = resolveMasterKey(input.configMasterKey, input.env);
  const asked = input.env[input.hostVariable]?.trim() || undefined;
  const weak = weakness(masterKey);
  const notice = `master key from ${describe(masterKey)}`;
  if (weak === undefined) return { masterKey, host: asked ?? DEFAULT_HOST, loopbackOnly: false, notice };
  if (asked !== undefined && !isLoopbackHost(asked)) {
    throw new ConfigError(
      `Refusing to listen on ${input.hostVariable}=${asked}: the master key is ${weak}, and anyone who can reach ` +
        `this address could use it. Set SWITCHYARD_MASTER_KEY to a long random value ` +
        `(for example: export SWITCHYARD_MASTER_KEY="sk-$(openssl rand -hex 24)"), or bind to 127.0.0.1 ` +
        `(${input.hostVariable}=127.0.0.1).`,
    );
  }
  const host = asked ?? LOOPBACK;
  return {
    masterKey,
    host,
    loopbackOnly: true,
    notice,
    warning:
      `LOOPBACK ONLY: listening on ${host}, out of other machines' reach, because the master key is ${weak}. ` +
      `To serve other machines, set SWITCHYARD_MASTER_KEY to a long random value ` +
      `(export SWITCHYARD_MASTER_KEY="sk-$(openssl rand -hex 24)") and ${input.hostVariable}=0.0.0.0.`,
  };
}

/**
 * At a service's boot, before it connects anywhere: the policy for this process's environment and config,
 * its notice logged and its warning said loudly. Throws (with what to do) when the key may not guard the host.
 */
export function bootListenPolicy(
  hostVariable: HostVariable,
  configMasterKey: string | undefined,
  log: { log(message: string): void; warn(message: string): void },
  env: NodeJS.ProcessEnv = process.env,
): ListenPolicy {
  const policy = masterKeyPolicy({ env, configMasterKey, hostVariable });
  log.log(policy.notice);
  if (policy.warning) log.warn(`${'!'.repeat(12)} ${policy.warning}`);
  return policy;
}
