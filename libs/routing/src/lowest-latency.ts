import type { RoutableDeployment } from './model-resolver';

/** Where latency-based routing reads latency from: recent average per deployment, across routers. */
export interface LatencyView {
  /** Recent average latency (time to first token for streams), ms; undefined when nothing was measured. */
  latencyMs(deploymentId: string): number | undefined;
}

/** How many recent samples a deployment's latency averages (LiteLLM's max_latency_list_size default). */
export const LATENCY_SAMPLES = 10;

/**
 * LiteLLM's `latency-based-routing`: the deployment with the lowest recent latency; every deployment within
 * `buffer` of it (routing_strategy_args.lowest_latency_buffer: 0.1 = within 10 %) shares the load at random, so
 * near-equals are not starved. A deployment never measured counts as fastest, so new ones get tried.
 */
export function pickLowestLatency<D extends RoutableDeployment>(
  deployments: readonly D[],
  view: LatencyView,
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
  buffer = 0,
): D | undefined {
  const candidates: [D, number][] = [];
  for (const d of deployments) {
    if (exclude?.has(d.id) || d.weight <= 0) continue;
    candidates.push([d, view.latencyMs(d.id) ?? 0]);
  }
  if (candidates.length === 0) return undefined;
  const least = Math.min(...candidates.map(([, l]) => l));
  const band = candidates.filter(([, l]) => l <= least * (1 + buffer));
  return band[Math.min(band.length - 1, Math.floor(random() * band.length))]![0];
}

/** The last LATENCY_SAMPLES latencies of each deployment. Pure over the samples it is given. */
export class LatencyWindow {
  private readonly samples = new Map<string, number[]>();

  record(deploymentId: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const list = this.samples.get(deploymentId) ?? [];
    list.push(ms);
    if (list.length > LATENCY_SAMPLES) list.shift();
    this.samples.set(deploymentId, list);
  }

  /** Sum and count of the samples held for each deployment (what routers share, to average across them). */
  totals(): [string, { sum: number; count: number }][] {
    return [...this.samples].map(([id, l]) => [id, { sum: l.reduce((a, b) => a + b, 0), count: l.length }]);
  }

  totalOf(deploymentId: string): { sum: number; count: number } {
    const l = this.samples.get(deploymentId) ?? [];
    return { sum: l.reduce((a, b) => a + b, 0), count: l.length };
  }
}
