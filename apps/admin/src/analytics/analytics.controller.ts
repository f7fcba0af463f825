import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { Access } from '../auth/access.decorator';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpResponse } from '../common/http.types';
import { errorResponse } from '../docs/openapi-schema';
import { AnalyticsService, type Answer } from './analytics.service';

const dimensions = 'team, key, user, end_user, organization, model, deployment, provider, tag, status';

/** Sends an Answer: JSON as is, CSV as text/csv with the next page's cursor in a header. */
function send<T>(res: HttpResponse, answer: Answer<T>): T | string {
  if ('csv' in answer) {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    if (answer.next) res.setHeader('x-switchyard-next-cursor', answer.next);
    return answer.csv;
  }
  return answer.json;
}

@ApiTags('analytics')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@ApiResponse({ status: 400, ...errorResponse })
@Controller('v1')
export class AnalyticsController {
  constructor(@Inject(AnalyticsService) private readonly analytics: AnalyticsService) {}

  @Access({ kind: 'global', action: 'read' })
  @Get('analytics')
  @ApiOperation({
    summary: `Spend, requests, errors, tokens and latency grouped by any of ${dimensions}, per hour, day or month`,
    description:
      'Closed hours and days are read from rollups, the rest of the range from the raw rows; the answer equals ' +
      'reading every row. Latency and TTFT percentiles come from merged ClickHouse quantileTiming states: exact ' +
      'up to 5,670 requests a row, beyond that exact below 1,024 ms and in 16 ms steps up to 30 s. Rows come ' +
      'by bucket, then by spend, a page at a time (`limit`, `cursor`; `next_cursor` is null on the last page); ' +
      '`totals` cover the whole range on every page.',
  })
  @ApiQuery({ name: 'group_by', required: false, description: `comma-separated: ${dimensions}` })
  @ApiQuery({ name: 'interval', required: false, enum: ['hour', 'day', 'month'] })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false, description: 'exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: 'rows a page, 1 to 10000, default 1000' })
  @ApiQuery({
    name: 'cursor',
    required: false,
    description: 'next_cursor of the previous page (in CSV: the x-switchyard-next-cursor header)',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  async report(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: HttpResponse) {
    return send(res, await this.analytics.report(query));
  }

  @Access({ kind: 'global', action: 'read' })
  @Get('logs')
  @ApiOperation({ summary: 'Individual requests, newest first, with the same filters; cursor pagination' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  @ApiQuery({
    name: 'cursor',
    required: false,
    description: 'next_cursor of the previous page (in CSV: the x-switchyard-next-cursor header)',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  async logs(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: HttpResponse) {
    return send(res, await this.analytics.logs(query));
  }
}
