// Preloaded (node -r) into the services that libs/testing/src/stack.ts starts. The launcher gives each service a
// stdin pipe and never writes to it; the pipe closes when the launcher dies in any way, even SIGKILL, and then this
// guard stops the service: SIGTERM to itself (the service's graceful shutdown), exit 1 if it is still alive 5 s later.
'use strict';

const stdin = process.stdin;
let fired = false;
const parentGone = () => {
  if (fired) return;
  fired = true;
  setTimeout(() => process.exit(1), 5000).unref();
  process.kill(process.pid, 'SIGTERM');
};
stdin.on('data', () => undefined);
stdin.once('end', parentGone);
stdin.once('close', parentGone);
stdin.once('error', parentGone);
// Watching stdin must not keep a service alive that would otherwise exit.
if (typeof stdin.unref === 'function') stdin.unref();
