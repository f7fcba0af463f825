/**
 * The floor under the gateway's added latency: one NATS request/reply between two Node processes (the hop
 * every service-to-service call takes), at a steady rate, with nothing else in either process, beside a bare
 * TCP echo between two Node processes (no NATS at all). A gateway request crosses several such hops; if both
 * cost more at 50 requests/s than back to back, waking an idle process is the cause, not the services' code.
 *
 *   node dist/tools/bench/nats-rtt.js [--rates 50,200,1000,0] [--seconds 5] [--busy]
 *   (rate 0: back to back; --busy: also a lowest-priority spinning process per core, keeping the CPUs awake;
 *    NATS_URL, default nats://127.0.0.1:4222)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect, createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

function echo(): void {
  const server = createServer((c) => {
    c.setNoDelay(true);
    c.on('data', (d) => c.write(d));
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

async function serve(subject: string): Promise<void> {
  const nc = await connect({ servers: url });
  const sub = nc.subscribe(subject);
  process.send?.('ready');
  for await (const m of sub) m.respond(m.data);
}

function spin(): void {
  // Lowest priority: runs only when nothing else wants the CPU, so the measured processes never wait for it.
  for (;;) Math.sqrt(Math.random());
}

const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(process.argv[3]!);
  if (process.argv[2] === '--spin') return spin();
  if (process.argv[2] === '--echo') return echo();
  const rates = (arg('rates') ?? '50,200,1000,0').split(',').map(Number);
  const seconds = Number(arg('seconds') ?? 5);
  const subject = `sy.bench.rtt.${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  try {
    const server = fork(__filename, ['--serve', subject]);
    children.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('message', () => resolve());
      server.once('exit', (code) => reject(new Error(`the responder exited (${code}); is NATS at ${url}?`)));
    });
    if (process.argv.includes('--busy'))
      for (let i = 0; i < cpus().length; i++) {
        const s = fork(__filename, ['--spin']);
        children.push(s);
        if (s.pid) {
          const { setPriority } = await import('node:os');
          setPriority(s.pid, 19);
        }
      }
    const nc = await connect({ servers: url });
    const payload = new TextEncoder().encode('x'.repeat(512));
    const echoer = fork(__filename, ['--echo']);
    children.push(echoer);
    const port = await new Promise<number>((resolve) => echoer.once('message', (m) => resolve(Number(m))));
    const sock = tcpConnect(port, '127.0.0.1');
    sock.setNoDelay(true);
    await new Promise((resolve) => sock.once('connect', resolve));
    const hops: [string, () => Promise<unknown>][] = [
      ['NATS', () => nc.request(subject, payload, { timeout: 5_000 })],
      [
        'TCP',
        () =>
          new Promise((resolve) => {
            sock.once('data', resolve);
            sock.write(payload);
          }),
      ],
    ];
    for (const [, once] of hops) for (let i = 0; i < 200; i++) await once();
    console.log(
      `request/reply between two Node processes, ${seconds} s a rate${process.argv.includes('--busy') ? ', CPUs kept busy at the lowest priority' : ''}`,
    );
    console.log(
      `${'hop'.padEnd(5)} ${'rate/s'.padStart(7)} ${'n'.padStart(7)} ${'p50 µs'.padStart(8)} ${'p90 µs'.padStart(8)} ${'p99 µs'.padStart(8)}`,
    );
    for (const [hop, once] of hops)
      for (const rate of rates) {
        const times: number[] = [];
        const end = performance.now() + seconds * 1000;
        let next = performance.now();
        while (performance.now() < end) {
          const t = performance.now();
          await once();
          times.push((performance.now() - t) * 1000);
          if (rate > 0) {
            next += 1000 / rate;
            const wait = next - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
        }
        times.sort((a, b) => a - b);
        console.log(
          `${hop.padEnd(5)} ${(rate === 0 ? 'max' : String(rate)).padStart(7)} ${String(times.length).padStart(7)} ${pct(times, 50).toFixed(0).padStart(8)} ${pct(times, 90).toFixed(0).padStart(8)} ${pct(times, 99).toFixed(0).padStart(8)}`,
        );
      }
    sock.destroy();
    await nc.close();
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
