import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HealthReport } from '@switchyard/contracts';
import type { HttpResponse } from '../common/http.types';
import { Public } from '../auth/public.decorator';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Public()
  @Get(['liveness', 'liveliness'])
  @ApiOperation({
    summary: "Liveness: the process answers; touches no dependency (always 200). Also at LiteLLM's /health/liveliness",
  })
  @ApiResponse({ status: 200 })
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('readiness')
  @ApiOperation({
    summary:
      'Readiness: 200 ok or degraded (ClickHouse or NATS down), 503 when Postgres is down; one check per dependency',
  })
  @ApiResponse({ status: 200 })
  @ApiResponse({ status: 503 })
  async readiness(@Res({ passthrough: true }) res: HttpResponse): Promise<HealthReport> {
    const r = await this.health.readiness();
    res.status(r.status === 'unavailable' ? 503 : 200);
    return r;
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'Same as /health/readiness (kept for existing probes)' })
  @ApiResponse({ status: 200 })
  @ApiResponse({ status: 503 })
  async get(@Res({ passthrough: true }) res: HttpResponse): Promise<HealthReport> {
    return this.readiness(res);
  }
}
