import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthService } from './health.service';

@Controller()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Get('health')
  async check(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.health.check();
    void reply.code(report.status === 'ok' ? 200 : 503).send(report);
  }
}
