import { Controller, Get, Inject } from '@nestjs/common';
import { Access } from '../auth/access.decorator';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import { DeploymentListSchema, type DeploymentListJson } from './deployments.schemas';
import { DeploymentsService } from './deployments.service';

@ApiTags('deployments')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/deployments')
export class DeploymentsController {
  constructor(@Inject(DeploymentsService) private readonly deployments: DeploymentsService) {}

  @Get()
  @ApiOperation({
    summary: 'List deployments with their live state: in flight, recent latency and error rate, cooldowns, usage',
  })
  @ApiResponse({ status: 200, schema: openApiSchema(DeploymentListSchema, 'output') })
  @Access({ kind: 'global', action: 'read' })
  list(): Promise<DeploymentListJson> {
    return this.deployments.list();
  }
}
