import { Body, Controller, Delete, Get, Inject, Param, Patch, Post } from '@nestjs/common';
import { Access, inParam } from '../auth/access.decorator';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  CreateTeamSchema,
  TeamDeletedSchema,
  TeamJsonSchema,
  TeamListSchema,
  UpdateTeamSchema,
  type TeamJson,
} from './teams.schemas';
import { TeamsService } from './teams.service';

@ApiTags('teams')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/teams')
export class TeamsController {
  constructor(@Inject(TeamsService) private readonly teams: TeamsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a team' })
  @ApiBody({ schema: openApiSchema(CreateTeamSchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(TeamJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @Access({ kind: 'team_create' })
  create(@Body() body: unknown): Promise<TeamJson> {
    return this.teams.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List teams' })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamListSchema, 'output') })
  @Access({ kind: 'caller' })
  list(): Promise<{ data: TeamJson[] }> {
    return this.teams.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a team' })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'team', action: 'read', from: inParam('id') })
  get(@Param('id') id: string): Promise<TeamJson> {
    return this.teams.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a team; a change of its models limits its keys on every gateway at once' })
  @ApiBody({ schema: openApiSchema(UpdateTeamSchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'team', action: 'write', from: inParam('id') })
  update(@Param('id') id: string, @Body() body: unknown): Promise<TeamJson> {
    return this.teams.update(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a team and revoke its keys' })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamDeletedSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'team', action: 'write', from: inParam('id') })
  delete(@Param('id') id: string): ReturnType<TeamsService['delete']> {
    return this.teams.delete(id);
  }
}
