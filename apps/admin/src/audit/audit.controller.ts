import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Access } from '../auth/access.decorator';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import { AuditListSchema, type AuditListJson } from './audit.schemas';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Admin changes, newest first: ?entity=&entity_id=&actor=&limit=&cursor=' })
  @ApiResponse({ status: 200, schema: openApiSchema(AuditListSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @Access({ kind: 'global', action: 'read' })
  list(@Query() query: unknown): Promise<AuditListJson> {
    return this.audit.list(query);
  }
}
