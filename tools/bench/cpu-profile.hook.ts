/**
 * Preload for profiling a service under load without changing it:
 *
 *   BENCH_SERVICE_NODE_OPTIONS="-r $PWD/dist/tools/bench/cpu-profile.hook.js" node dist/tools/bench/bench.js
 *
 * Profiles a window of the process's life (SY_PROFILE_START_MS after start, for SY_PROFILE_MS; defaults
 * 17 s and 8 s, which with the bench defaults falls in the first gateway run) and writes
 * .data/profiles/<service>-<pid>.cpuprofile, for Chrome DevTools or tools/bench/profile-summary.
 * Node's own --cpu-prof writes nothing here: Nest ends the process by re-raising SIGTERM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const startMs = Number(process.env.SY_PROFILE_START_MS ?? 17_000);
const lengthMs = Number(process.env.SY_PROFILE_MS ?? 8_000);
const dir = join(process.cwd(), '.data', 'profiles');
const session = new Session();
session.connect();

setTimeout(() => {
  session.post('Profiler.enable', () =>
    session.post('Profiler.start', () => {
      setTimeout(() => {
        session.post('Profiler.stop', (err, result) => {
          if (err) return console.error(`cpu profile failed: ${err.message}`);
          mkdirSync(dir, { recursive: true });
          const file = join(dir, `${process.env.SWITCHYARD_SERVICE ?? 'node'}-${process.pid}.cpuprofile`);
          writeFileSync(file, JSON.stringify(result.profile));
        });
      }, lengthMs).unref();
    }),
  );
}, startMs).unref();
