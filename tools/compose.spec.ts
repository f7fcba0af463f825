/**
 * Proves docker-compose.yml runs the whole stack without Docker: the file is valid against the official Compose
 * Specification schema, wires every service to what it needs, and points at files that exist or that the build emits.
 * tools/test.sh also runs `docker compose config -q` where a Compose binary is installed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, resolve } from 'node:path';
import Ajv from 'ajv';
import ts from 'typescript';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEMO_MASTER_KEY, EnvSchema, loadConfig, masterKeyPolicy, MIN_MASTER_KEY_LENGTH } from '@switchyard/config';

const ROOT = resolve(__dirname, '..');
const APPS = ['gateway', 'router', 'translator', 'spend', 'admin'] as const;
const INFRA = ['nats', 'postgres', 'redis', 'clickhouse'] as const;
/** Each URL variable names the infra service it points at; a service given one must wait for that service. */
const URL_VARS: Record<string, (typeof INFRA)[number]> = {
  NATS_URL: 'nats',
  DATABASE_URL: 'postgres',
  REDIS_URL: 'redis',
  CLICKHOUSE_URL: 'clickhouse',
};
/** What each app uses even if its environment were trimmed (from its imports); every app talks over NATS. */
const APP_NEEDS: Record<(typeof APPS)[number], readonly (typeof INFRA)[number][]> = {
  gateway: ['nats', 'postgres'],
  router: ['nats'],
  translator: ['nats'],
  spend: ['nats', 'redis', 'postgres', 'clickhouse'],
  admin: ['nats', 'postgres', 'clickhouse'],
};
/** Infra images: repository, the lowest major tag we accept (highest too, where a major changes the protocol). */
const IMAGES: Record<(typeof INFRA)[number], { repo: string; min: number; max?: number }> = {
  nats: { repo: 'nats', min: 2, max: 2 },
  postgres: { repo: 'postgres', min: 16 },
  redis: { repo: 'redis', min: 7 },
  clickhouse: { repo: 'clickhouse/clickhouse-server', min: 24 },
};
/** Variables the infra images document; anything else set on them is a typo the image ignores. */
const IMAGE_ENV: Record<(typeof INFRA)[number], readonly string[]> = {
  nats: [],
  redis: [],
  postgres: ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB'],
  clickhouse: ['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DB', 'CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT'],
};

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[] | null;
  entrypoint?: string | string[] | null;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: (string | number | { target: number | string; published?: number | string })[];
  volumes?: (string | { type: string; source?: string; target: string })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
}
interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const composeText = read('docker-compose.yml');
/** The file as Compose sees it before interpolation: YAML 1.1 merge keys (`<<: *anchor`) resolved. */
const raw = parse(composeText, { merge: true }) as ComposeFile;

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;

/** Every `${NAME...}` in the file, with its default when it has one. */
function interpolations(): { name: string; op?: string; fallback?: string }[] {
  return [...composeText.matchAll(INTERPOLATION)].map((m) => ({ name: m[1], op: m[2], fallback: m[3] }));
}

/**
 * Variables the file requires (`${NAME:?message}`): `docker compose up` stops with the message when they are unset.
 * The master key is one: the ports are published on every interface, where a weak key is refused at boot.
 */
const REQUIRED = ['SWITCHYARD_MASTER_KEY'];
/** What an operator following the README exports. */
const OPERATOR_ENV: Record<string, string> = { SWITCHYARD_MASTER_KEY: `sk-${'0f'.repeat(24)}` };

/**
 * Compose's interpolation with only the required variables set (`given`): what `docker compose up` sees on a
 * fresh machine once the operator has exported what the file demands.
 */
function interpolate<T>(value: T, given: Record<string, string> = OPERATOR_ENV): T {
  if (typeof value === 'string') {
    return value.replace(INTERPOLATION, (_m, name: string, op?: string, fallback?: string) => {
      if (op === ':-' || op === '-') return fallback ?? '';
      if ((op === ':?' || op === '?') && given[name]) return given[name];
      if (op === ':?' || op === '?') throw new Error(`\${${name}} is required: ${fallback}`);
      throw new Error(`\${${name}} has no default: docker compose up fails or passes an empty value when it is unset.`);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, given)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, given)])) as T;
  }
  return value;
}

const compose = interpolate(raw);
const services = compose.services;
const switchyardServices = [...APPS, 'migrate'] as const;

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependsOn(service: Service): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.condition]));
}

/** Published ports as host → container (short syntax `[IP:]HOST:CONTAINER[/PROTO]` or the long form). */
function publishedPorts(service: Service): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of service.ports ?? []) {
    if (typeof p === 'object') {
      if (p.published !== undefined) out.set(Number(p.published), Number(p.target));
      continue;
    }
    const parts = String(p).split('/')[0].split(':');
    if (parts.length >= 2) out.set(Number(parts[parts.length - 2]), Number(parts[parts.length - 1]));
  }
  return out;
}

function asArgs(command: Service['command']): string[] {
  if (command == null) return [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}

/** The compose-spec schema as shipped in dclint's package (a verbatim copy of compose-spec's schema/compose-spec.json). */
function composeSpecSchema(): Record<string, unknown> {
  const pkg = createRequire(__filename).resolve('dclint/package.json');
  const schema = JSON.parse(readFileSync(join(dirname(pkg), 'schemas/compose.schema.json'), 'utf8'));
  // The spec names draft-07 by its https address; Ajv registers draft-07 under the canonical http one.
  return { ...schema, $schema: 'http://json-schema.org/draft-07/schema#' };
}

function composeValidator() {
  // The schema is not ours: its union types and annotations are fine for Compose, so Ajv's strict checks are off.
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(composeSpecSchema());
}

/** Files `npm run build` emits, relative to the repository root (computed by TypeScript from tsconfig.build.json). */
function buildOutputs(): Set<string> {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('tsconfig.build.json could not be read');
  const outputs = parsed.fileNames.flatMap((f) => ts.getOutputFileNames(parsed, f, false));
  return new Set(outputs.map((p) => relative(ROOT, p).split('\\').join('/')));
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = composeValidator();
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check catches a broken file (it is not vacuous)', () => {
    const validate = composeValidator();
    const broken = structuredClone(compose) as unknown as Record<string, Record<string, Record<string, unknown>>>;
    broken.services.gateway.depends_on = { nats: { condition: 'healthy' } };
    broken.services.router.restart_policy = 'always';
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain('/services/gateway/depends_on/nats/condition');
    expect(paths).toContain('/services/router');
  });

  it('keeps the top-level project name (Compose v2; tools/test.sh strips it only for docker-compose 1.x)', () => {
    expect(raw.name).toBe('switchyard');
  });

  it('gives every interpolated variable but the master key a default, and documents them in the README', () => {
    const docker =
      read('README.md')
        .split(/^## Docker$/m)[1]
        ?.split(/^## /m)[0] ?? '';
    expect(docker, 'README.md has a "## Docker" section').not.toBe('');
    for (const { name, op } of interpolations()) {
      if (REQUIRED.includes(name)) expect(op, `\${${name}} is required (\${${name}:?message})`).toBe(':?');
      else expect(op, `\${${name}} needs a default (\${${name}:-...})`).toBe(':-');
      expect(docker, `README's Docker section should name ${name}`).toContain(name);
    }
  });

  it('requires a master key, never defaulting to the public demo key, and says how to set one', () => {
    expect(composeText).not.toContain(DEMO_MASTER_KEY);
    expect(() => interpolate(raw, {})).toThrow(/SWITCHYARD_MASTER_KEY} is required: .*at least 32 characters/);
    const message = interpolations().find((i) => i.name === 'SWITCHYARD_MASTER_KEY')?.fallback ?? '';
    expect(message).toContain(String(MIN_MASTER_KEY_LENGTH));
  });

  it('publishes gateway and admin only with a strong key: a weak one is refused at boot on their address', () => {
    for (const [app, hostVariable] of [
      ['gateway', 'GATEWAY_HOST'],
      ['admin', 'ADMIN_HOST'],
    ] as const) {
      const env = envOf(services[app]);
      const config = parse(readFileSync(hostPathOf(services[app], env.SWITCHYARD_CONFIG), 'utf8')) as {
        general_settings?: { master_key?: string };
      };
      const configMasterKey = config.general_settings?.master_key;
      // The host is set explicitly, so a weak key stops the service instead of hiding it on the container's loopback.
      expect(env[hostVariable], `${app} ${hostVariable}`).toBe('0.0.0.0');
      expect(masterKeyPolicy({ env, configMasterKey, hostVariable })).toMatchObject({ host: '0.0.0.0' });
      for (const weak of [DEMO_MASTER_KEY, 'sk-1234']) {
        const weakEnv = envOf(interpolate(raw, { SWITCHYARD_MASTER_KEY: weak }).services[app]);
        expect(() => masterKeyPolicy({ env: weakEnv, configMasterKey, hostVariable }), `${app} with ${weak}`).toThrow(
          /Refusing to listen/,
        );
      }
    }
  });

  it('runs the five services, their infrastructure and a migrate one-shot', () => {
    expect(Object.keys(services).sort()).toEqual([...APPS, ...INFRA, 'migrate'].sort());
    // Every app in the repository is deployed.
    const apps = readdirSync(join(ROOT, 'apps'), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(apps.map((d) => d.name).sort()).toEqual([...APPS].sort());
  });

  it('runs NATS with JetStream on a volume, and the infra on current major versions', () => {
    const nats = services.nats;
    const args = asArgs(nats.command);
    expect(args.some((a) => a === '-js' || a === '--jetstream')).toBe(true);
    const storeDir = args[args.findIndex((a) => a === '-sd' || a === '--store_dir') + 1];
    expect(storeDir, 'JetStream needs a store dir (-sd)').toBeTruthy();
    const natsVolumes = (nats.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':') : [v.source, v.target]));
    expect(
      natsVolumes.some(([source, target]) => target === storeDir && compose.volumes?.[source!] !== undefined),
    ).toBe(true);

    for (const name of INFRA) {
      const { repo, min, max } = IMAGES[name];
      const image = services[name].image ?? '';
      const [imageRepo, tag = 'latest'] = image.split(':');
      expect(imageRepo, name).toBe(repo);
      const major = Number(/^(\d+)/.exec(tag)?.[1]);
      expect(major, `${name}: tag "${tag}" should start with a major version`).toBeGreaterThanOrEqual(min);
      if (max !== undefined) expect(major, `${name}: tag "${tag}"`).toBeLessThanOrEqual(max);
    }
  });

  it('builds the Switchyard services from the Dockerfile as one image', () => {
    for (const name of switchyardServices) {
      const s = services[name];
      const context = typeof s.build === 'string' ? s.build : s.build?.context;
      expect(context, name).toBe('.');
      expect(s.image, name).toBe('switchyard:local');
    }
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('makes each app wait for healthy infrastructure and a completed migration', () => {
    for (const app of APPS) {
      const deps = dependsOn(services[app]);
      expect(deps.migrate, `${app} → migrate`).toBe('service_completed_successfully');
      const fromEnv = Object.entries(envOf(services[app]))
        .filter(([k]) => k in URL_VARS)
        .map(([k]) => URL_VARS[k]);
      for (const infra of new Set([...APP_NEEDS[app], ...fromEnv])) {
        expect(deps[infra], `${app} → ${infra}`).toBe('service_healthy');
      }
    }
    const migrate = dependsOn(services.migrate);
    expect(migrate).toMatchObject({ postgres: 'service_healthy', clickhouse: 'service_healthy' });
    expect(migrate.migrate).toBeUndefined();
    // A one-shot with a restart policy would run again after it exits.
    expect(services.migrate.restart ?? 'no').toBe('no');
    expect(asArgs(services.migrate.command)).toEqual(['node', 'dist/tools/migrate.js']);

    // `service_healthy` on a service without a healthcheck fails `docker compose up`.
    for (const s of Object.values(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect(services[dep], `depends on unknown service ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep].healthcheck?.test, `${dep} healthcheck`).toBeTruthy();
      }
    }
  });

  it('points every URL at the compose service it depends on', () => {
    for (const name of switchyardServices) {
      const env = envOf(services[name]);
      for (const [variable, infra] of Object.entries(URL_VARS)) {
        expect(env[variable], `${name} sets ${variable} (the default is 127.0.0.1, not a container)`).toBeDefined();
        expect(new URL(env[variable]).hostname, `${name} ${variable}`).toBe(infra);
      }
    }
  });

  it('publishes the gateway on 4000 and admin on 4001, on the ports they listen on', () => {
    const defaults = EnvSchema.parse({});
    const gateway = EnvSchema.parse(envOf(services.gateway));
    const admin = EnvSchema.parse(envOf(services.admin));
    expect(publishedPorts(services.gateway).get(4000)).toBe(gateway.GATEWAY_PORT);
    expect(publishedPorts(services.admin).get(4001)).toBe(admin.ADMIN_PORT);
    expect(gateway.GATEWAY_HOST).toBe(defaults.GATEWAY_HOST);
    expect(gateway.GATEWAY_HOST, 'listening on loopback would be unreachable from the host').not.toMatch(/^127\./);
    expect(admin.ADMIN_HOST).not.toMatch(/^127\./);
    for (const name of ['router', 'translator', 'spend', 'migrate', ...INFRA]) {
      expect(publishedPorts(services[name]).size, `${name} publishes no port`).toBe(0);
    }
  });

  it('gives the services only variables they read, with values that pass EnvSchema', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const name of switchyardServices) {
      const env = envOf(services[name]);
      const extras = configEnvRefs(services[name], env);
      for (const key of Object.keys(env)) {
        expect(
          known.has(key) || extras.has(key),
          `${name}: ${key} is not in EnvSchema nor an os.environ/ reference`,
        ).toBe(true);
      }
      const parsed = EnvSchema.safeParse(env);
      expect(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    for (const name of INFRA) {
      for (const key of Object.keys(envOf(services[name]))) {
        expect(IMAGE_ENV[name], `${name}: ${key} is not a variable the image reads`).toContain(key);
      }
    }
  });

  it('uses the same credentials on both ends', () => {
    const app = envOf(services.gateway);
    const db = new URL(app.DATABASE_URL);
    expect(decodeURIComponent(db.password)).toBe(envOf(services.postgres).POSTGRES_PASSWORD);
    expect(db.username).toBe(envOf(services.postgres).POSTGRES_USER ?? 'postgres');
    const ch = envOf(services.clickhouse);
    expect(app.CLICKHOUSE_USER).toBe(ch.CLICKHOUSE_USER);
    expect(app.CLICKHOUSE_PASSWORD).toBe(ch.CLICKHOUSE_PASSWORD);
    // Every Switchyard service gets the same settings.
    for (const name of switchyardServices) expect(envOf(services[name]), name).toEqual(app);
  });

  it('mounts a config that exists in the repository and loads with the environment the services get', () => {
    for (const name of switchyardServices) {
      const env = envOf(services[name]);
      const hostPath = hostPathOf(services[name], env.SWITCHYARD_CONFIG);
      expect(existsSync(hostPath), `${name}: ${env.SWITCHYARD_CONFIG} → ${relative(ROOT, hostPath)}`).toBe(true);
      expect(() => loadConfig(hostPath, env)).not.toThrow();
    }
  });

  it('starts each service from a file that `npm run build` emits', () => {
    const outputs = buildOutputs();
    for (const app of APPS) expect(existsSync(join(ROOT, `apps/${app}/src/main.ts`)), app).toBe(true);
    for (const [name, s] of Object.entries(services)) {
      for (const arg of [...asArgs(s.entrypoint), ...asArgs(s.command)].filter((a) => a.startsWith('dist/'))) {
        expect(outputs.has(arg), `${name}: ${arg} is not emitted by tsconfig.build.json`).toBe(true);
      }
    }
    for (const app of APPS) expect(asArgs(services[app].command)).toEqual(['node', `dist/apps/${app}/src/main.js`]);
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const finalStage = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));

  it('runs a file that `npm run build` emits, from /app where the compose paths point', () => {
    const outputs = buildOutputs();
    const execForm = (instr: string) => {
      const line = finalStage.find((l) => new RegExp(`^${instr}\\s`, 'i').test(l));
      return line ? (JSON.parse(line.replace(/^\w+\s+/, '')) as string[]) : [];
    };
    const args = [...execForm('ENTRYPOINT'), ...execForm('CMD')];
    expect(args.length, 'CMD in exec form').toBeGreaterThan(0);
    for (const arg of args.filter((a) => a.startsWith('dist/'))) expect(outputs.has(arg), arg).toBe(true);
    expect(finalStage).toContain('WORKDIR /app');
    expect(finalStage.some((l) => /^COPY --from=\S+ \/app\/dist dist$/.test(l))).toBe(true);
  });

  it('bakes in the config the compose file points at, and uses the Node major package.json requires', () => {
    const config = envOf(services.gateway).SWITCHYARD_CONFIG;
    const copy = finalStage.find((l) => /^COPY infra\/config /.test(l));
    expect(copy, 'the image carries infra/config so it runs without the mount').toBeDefined();
    expect(config.startsWith(posix.join('/app', copy!.split(/\s+/)[2]) + '/')).toBe(true);
    const engine = Number(/(\d+)/.exec(JSON.parse(read('package.json')).engines.node)?.[1]);
    for (const from of lines.filter((l) => /^FROM\s/i.test(l)))
      expect(from).toMatch(new RegExp(`^FROM node:${engine}\\b`));
    for (const ignored of read('.dockerignore').split('\n').filter(Boolean)) {
      expect(['apps', 'libs', 'tools', 'infra', 'package.json', 'package-lock.json']).not.toContain(ignored);
    }
  });
});

/** Host path of a container path, through the service's bind mounts (relative sources are from the compose file). */
function hostPathOf(service: Service, containerPath: string): string {
  for (const v of service.volumes ?? []) {
    const [source, target] = typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target];
    if (!source.startsWith('.') && !source.startsWith('/')) continue; // a named volume
    if (containerPath === target || containerPath.startsWith(target + '/')) {
      return join(ROOT, source, containerPath.slice(target.length));
    }
  }
  throw new Error(`${containerPath} is on no bind mount`);
}

/** Variables the mounted config names as `os.environ/NAME` (provider keys and the like): documented extras. */
function configEnvRefs(service: Service, env: Record<string, string>): Set<string> {
  if (!env.SWITCHYARD_CONFIG) return new Set();
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.startsWith('os.environ/')) names.add(v.slice('os.environ/'.length));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(parse(readFileSync(hostPathOf(service, env.SWITCHYARD_CONFIG), 'utf8')));
  return names;
}
