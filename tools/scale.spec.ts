/**
 * tools/start.sh --scale: the argument parsing and the instance names and ports of tools/lib/scale.sh, run by bash
 * itself (the lib is what start.sh and stop.sh source).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');

function bash(script: string, env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(
    'bash',
    ['-c', `set -euo pipefail; source tools/lib/infra.sh; source tools/lib/scale.sh; ${script}`],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      encoding: 'utf8',
    },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const counts = (spec: string) =>
  bash(`sy_parse_scale '${spec}'; for s in "\${SY_SERVICES[@]}"; do printf '%s=%s ' "$s" "\${SY_SCALE[$s]}"; done`);

describe('tools/start.sh --scale', () => {
  it('runs each named service that many times and every other service once', () => {
    expect(counts('gateway=2,router=2').stdout.trim()).toBe('gateway=2 router=2 translator=1 spend=1 admin=1');
    expect(counts('spend=3').stdout.trim()).toBe('gateway=1 router=1 translator=1 spend=3 admin=1');
  });

  it.each([
    ['', /needs a value/],
    ['gateway', /not <service>=<count>/],
    ['gateway=two', /not <service>=<count>/],
    ['gateway=-1', /not <service>=<count>/],
    ['proxy=2', /unknown service "proxy"/],
    ['gateway=0', /out of range: give 1 to 10/],
    ['gateway=11', /out of range/],
    ['gateway=2,gateway=3', /given twice/],
  ])('refuses %j with a message that says what to give', (spec, message) => {
    const r = counts(spec);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('puts the k-th extra gateway on GATEWAY_PORT + 10·k, the k-th extra admin on ADMIN_PORT + 10·k', () => {
    const r = bash(
      'for k in 0 1 2; do printf "%s:%s %s:%s " "$(sy_instance_name gateway $k)" "$(sy_instance_port gateway $k)" "$(sy_instance_name admin $k)" "$(sy_instance_port admin $k)"; done; printf "[%s]" "$(sy_instance_port router 1)"',
      { GATEWAY_PORT: '4000', ADMIN_PORT: '4001' },
    );
    expect(r.stdout).toBe('gateway:4000 admin:4001 gateway-1:4010 admin-1:4011 gateway-2:4020 admin-2:4021 []');
  });

  it('start.sh refuses an unknown option or a bad --scale before it builds or starts anything', () => {
    for (const args of [['--scale'], ['--scale', 'gateway=0'], ['--bogus']]) {
      const r = spawnSync('bash', ['tools/start.sh', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
      expect(r.status).toBe(2);
      expect(r.stdout).not.toMatch(/build|starting/);
    }
  });
});
