import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthService } from './health.service';

@Controller('health')
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  /**
   * The process is up and its event loop turns; touches no dependency. For restart decisions. Also at
   * LiteLLM's spelling, /health/liveliness, which LiteLLM users' probes call.
   */
  @Get(['liveness', 'liveliness'])
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Whether to send traffic here: 200 `ok` or `degraded`, 503 `unavailable`, with each dependency's check. */
  @Get('readiness')
  async readiness(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.health.readiness();
    void reply.code(report.status === 'unavailable' ? 503 : 200).send(report);
  }

  /** Kept for the scripts and tools that probe it: the same as readiness. */
  @Get()
  async check(@Res() reply: FastifyReply): Promise<void> {
    return this.readiness(reply);
  }
}
