import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Access, inQuery } from '../auth/access.decorator';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import { SpendReportJsonSchema, type SpendRowJson } from './spend.schemas';
import { SpendService } from './spend.service';

const instantHelp = 'ISO 8601 date or date-time, or epoch seconds';

@ApiTags('spend')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/spend')
export class SpendController {
  constructor(@Inject(SpendService) private readonly spend: SpendService) {}

  @Get()
  @ApiOperation({ summary: 'Spend, requests and tokens grouped by team or model' })
  @ApiQuery({ name: 'group_by', required: false, enum: ['team', 'model'] })
  @ApiQuery({ name: 'from', required: false, description: instantHelp })
  @ApiQuery({ name: 'to', required: false, description: `${instantHelp}; exclusive` })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(SpendReportJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @Access({ kind: 'team', action: 'oversee', from: inQuery('team_id'), orGlobal: true })
  report(@Query() query: Record<string, unknown>): Promise<{ data: SpendRowJson[] }> {
    return this.spend.report(query);
  }
}
