/**
 * The benchmark's upstream in a process of its own, so the load generator's event loop never delays
 * the upstream's answers (or the other way round). Prints its base URL as one JSON line on stdout.
 */
import { startFakeOpenAI } from '@switchyard/testing';

async function main(): Promise<void> {
  const latencyMs = Number(process.argv[2] ?? '0');
  const upstream = await startFakeOpenAI({ latencyMs });
  process.stdout.write(`${JSON.stringify({ url: upstream.url })}\n`);
  const stop = () => void upstream.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => {
  console.error(`fake upstream failed: ${e.message}`);
  process.exit(1);
});
