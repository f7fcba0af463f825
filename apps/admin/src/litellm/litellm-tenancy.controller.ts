import { Body, Controller, Get, HttpCode, Inject, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access, inBody, inQuery } from '../auth/access.decorator';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import { CreateOrganizationSchema, UpdateOrganizationSchema } from '../organizations/organizations.schemas';
import { CreateUserSchema, UpdateUserSchema } from '../users/users.schemas';
import { LitellmTenancyService } from './litellm-tenancy.service';

type Answer<K extends keyof LitellmTenancyService> = ReturnType<LitellmTenancyService[K]>;

const member = {
  type: 'object',
  properties: { role: { type: 'string' }, user_id: { type: 'string' }, user_email: { type: 'string' } },
};

/** LiteLLM's team member, user and organisation routes, with its field names (unknown fields ignored). */
@ApiTags('litellm-compatible')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller()
export class LitellmTenancyController {
  constructor(@Inject(LitellmTenancyService) private readonly litellm: LitellmTenancyService) {}

  @Get('team/info')
  @Access({ kind: 'team', action: 'read', from: inQuery('team_id') })
  @ApiOperation({ summary: 'LiteLLM: a team with its members (and its keys, for those who oversee it)' })
  @ApiQuery({ name: 'team_id', required: true })
  teamInfo(@Query('team_id') teamId: unknown): Answer<'teamInfo'> {
    return this.litellm.teamInfo(teamId);
  }

  @Get('team/list')
  @Access({ kind: 'caller' })
  @ApiOperation({ summary: 'LiteLLM: the teams the caller may see, with members_with_roles' })
  teamList(): Answer<'teamList'> {
    return this.litellm.teamList();
  }

  @Post('team/delete')
  @HttpCode(200)
  @Access({ kind: 'team', action: 'write', from: inBody('team_ids') })
  @ApiOperation({ summary: 'LiteLLM: delete teams {"team_ids": [...]} and revoke their keys' })
  @ApiBody({ schema: { type: 'object', properties: { team_ids: { type: 'array', items: { type: 'string' } } } } })
  teamDelete(@Body() body: unknown): Answer<'teamDelete'> {
    return this.litellm.teamDelete(body);
  }

  @Post('team/member_add')
  @HttpCode(200)
  @Access({ kind: 'team', action: 'members', from: inBody('team_id') })
  @ApiOperation({ summary: 'LiteLLM: add members {"team_id", "member": {role, user_id | user_email} or a list}' })
  @ApiBody({
    schema: {
      type: 'object',
      properties: { team_id: { type: 'string' }, member: { oneOf: [member, { type: 'array', items: member }] } },
    },
  })
  teamMemberAdd(@Body() body: unknown): Answer<'teamMemberAdd'> {
    return this.litellm.teamMemberAdd(body);
  }

  @Post('team/member_delete')
  @HttpCode(200)
  @Access({ kind: 'team', action: 'members', from: inBody('team_id') })
  @ApiOperation({ summary: 'LiteLLM: remove a member {"team_id", "user_id" | "user_email"}' })
  teamMemberDelete(@Body() body: unknown): Answer<'teamMemberDelete'> {
    return this.litellm.teamMemberDelete(body);
  }

  @Post('team/member_update')
  @HttpCode(200)
  @Access({ kind: 'team', action: 'members', from: inBody('team_id') })
  @ApiOperation({ summary: 'LiteLLM: change a member\'s role {"team_id", "user_id", "role"}' })
  teamMemberUpdate(@Body() body: unknown): Answer<'teamMemberUpdate'> {
    return this.litellm.teamMemberUpdate(body);
  }

  @Post('user/new')
  @HttpCode(200)
  @Access({ kind: 'global', action: 'write' })
  @ApiOperation({ summary: 'LiteLLM: create a user, and a key for them unless auto_create_key is false' })
  @ApiBody({ schema: openApiSchema(CreateUserSchema) })
  userNew(@Body() body: unknown): Answer<'userNew'> {
    return this.litellm.userNew(body);
  }

  @Get('user/info')
  @Access({ kind: 'user', action: 'read', from: inQuery('user_id'), orSelf: true })
  @ApiOperation({ summary: 'LiteLLM: a user (the caller when user_id is absent) with their keys and teams' })
  @ApiQuery({ name: 'user_id', required: false })
  userInfo(@Query('user_id') userId: unknown): Answer<'userInfo'> {
    return this.litellm.userInfo(userId);
  }

  @Post('user/update')
  @HttpCode(200)
  @Access({ kind: 'user', action: 'write', from: inBody('user_id') })
  @ApiOperation({ summary: 'LiteLLM: change a user {"user_id", ...}' })
  @ApiBody({ schema: openApiSchema(UpdateUserSchema) })
  userUpdate(@Body() body: unknown): Answer<'userUpdate'> {
    return this.litellm.userUpdate(body);
  }

  @Post('user/delete')
  @HttpCode(200)
  @Access({ kind: 'user', action: 'write', from: inBody('user_ids') })
  @ApiOperation({ summary: 'LiteLLM: delete users {"user_ids": [...]} and revoke their keys' })
  userDelete(@Body() body: unknown): Answer<'userDelete'> {
    return this.litellm.userDelete(body);
  }

  @Post('organization/new')
  @HttpCode(200)
  @Access({ kind: 'global', action: 'write' })
  @ApiOperation({ summary: 'LiteLLM: create an organisation' })
  @ApiBody({ schema: openApiSchema(CreateOrganizationSchema) })
  organizationNew(@Body() body: unknown): Answer<'organizationNew'> {
    return this.litellm.organizationNew(body);
  }

  @Patch('organization/update')
  @Access({ kind: 'organization', action: 'write', from: inBody('organization_id') })
  @ApiOperation({ summary: 'LiteLLM: change an organisation {"organization_id", ...}' })
  @ApiBody({ schema: openApiSchema(UpdateOrganizationSchema) })
  organizationUpdate(@Body() body: unknown): Answer<'organizationUpdate'> {
    return this.litellm.organizationUpdate(body);
  }

  @Get('organization/info')
  @Access({ kind: 'organization', action: 'read', from: inQuery('organization_id') })
  @ApiOperation({ summary: 'LiteLLM: an organisation with its members and teams' })
  @ApiQuery({ name: 'organization_id', required: true })
  organizationInfo(@Query('organization_id') id: unknown): Answer<'organizationInfo'> {
    return this.litellm.organizationInfo(id);
  }

  @Get('organization/list')
  @Access({ kind: 'caller' })
  @ApiOperation({ summary: 'LiteLLM: the organisations the caller may see' })
  organizationList(): Answer<'organizationList'> {
    return this.litellm.organizationList();
  }

  @Post('organization/member_add')
  @HttpCode(200)
  @Access({ kind: 'organization', action: 'members', from: inBody('organization_id') })
  @ApiOperation({
    summary: 'LiteLLM: add members {"organization_id", "member": {role, user_id | user_email} or a list}',
  })
  organizationMemberAdd(@Body() body: unknown): Answer<'organizationMemberAdd'> {
    return this.litellm.organizationMemberAdd(body);
  }

  @Post('organization/member_delete')
  @HttpCode(200)
  @Access({ kind: 'organization', action: 'members', from: inBody('organization_id') })
  @ApiOperation({ summary: 'LiteLLM: remove a member {"organization_id", "user_id"}' })
  organizationMemberDelete(@Body() body: unknown): Answer<'organizationMemberDelete'> {
    return this.litellm.organizationMemberDelete(body);
  }
}
