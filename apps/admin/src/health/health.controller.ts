import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpResponse } from '../common/http.types';
import { Public } from '../auth/public.decorator';
import { HealthService, type HealthReport } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Readiness: Postgres, ClickHouse and NATS reachable (200), else 503 naming what is down' })
  @ApiResponse({ status: 200 })
  @ApiResponse({ status: 503 })
  async get(@Res({ passthrough: true }) res: HttpResponse): Promise<HealthReport> {
    const r = await this.health.check();
    res.status(r.status === 'ok' ? 200 : 503);
    return r;
  }
}
