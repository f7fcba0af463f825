import { Body, Controller, Delete, Get, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access, inParam } from '../auth/access.decorator';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  AddTeamMemberSchema,
  TeamMemberDeletedSchema,
  TeamMemberJsonSchema,
  TeamMemberListSchema,
  UpdateTeamMemberSchema,
  type TeamMemberJson,
} from './team-members.schemas';
import { TeamMembersService } from './team-members.service';

@ApiTags('teams')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/teams/:id/members')
export class TeamMembersController {
  constructor(@Inject(TeamMembersService) private readonly members: TeamMembersService) {}

  @Get()
  @Access({ kind: 'team', action: 'read', from: inParam('id') })
  @ApiOperation({ summary: "A team's members and their team roles" })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamMemberListSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  list(@Param('id') id: string): Promise<{ data: TeamMemberJson[] }> {
    return this.members.list(id);
  }

  @Post()
  @Access({ kind: 'team', action: 'members', from: inParam('id') })
  @ApiOperation({ summary: 'Add a user to the team with a role (admin or user), or change their role' })
  @ApiBody({ schema: openApiSchema(AddTeamMemberSchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(TeamMemberJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  add(@Param('id') id: string, @Body() body: unknown): Promise<TeamMemberJson> {
    return this.members.add(id, body);
  }

  @Patch(':user_id')
  @Access({ kind: 'team', action: 'members', from: inParam('id') })
  @ApiOperation({ summary: "Change a member's team role" })
  @ApiBody({ schema: openApiSchema(UpdateTeamMemberSchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamMemberJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  update(@Param('id') id: string, @Param('user_id') userId: string, @Body() body: unknown): Promise<TeamMemberJson> {
    return this.members.update(id, userId, body);
  }

  @Delete(':user_id')
  @Access({ kind: 'team', action: 'members', from: inParam('id') })
  @ApiOperation({ summary: 'Remove a member from the team (their keys stay, charged to the team)' })
  @ApiResponse({ status: 200, schema: openApiSchema(TeamMemberDeletedSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  remove(@Param('id') id: string, @Param('user_id') userId: string): ReturnType<TeamMembersService['remove']> {
    return this.members.remove(id, userId);
  }
}
