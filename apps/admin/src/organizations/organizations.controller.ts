import { Body, Controller, Delete, Get, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access, inParam } from '../auth/access.decorator';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  CreateOrganizationSchema,
  OrganizationDeletedSchema,
  OrganizationJsonSchema,
  OrganizationListSchema,
  OrganizationMemberInputSchema,
  OrganizationMemberSchema,
  UpdateOrganizationSchema,
  type OrganizationJson,
  type OrganizationListJson,
  type OrganizationMemberJson,
} from './organizations.schemas';
import { OrganizationsService } from './organizations.service';

@ApiTags('organizations')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/organizations')
export class OrganizationsController {
  constructor(@Inject(OrganizationsService) private readonly organizations: OrganizationsService) {}

  @Post()
  @Access({ kind: 'global', action: 'write' })
  @ApiOperation({ summary: 'Create an organisation with a budget and limits shared by its teams and users' })
  @ApiBody({ schema: openApiSchema(CreateOrganizationSchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(OrganizationJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  create(@Body() body: unknown): Promise<OrganizationJson> {
    return this.organizations.create(body);
  }

  @Get()
  @Access({ kind: 'caller' })
  @ApiOperation({ summary: 'Organisations the caller may see, newest first: ?organization_alias=&limit=&cursor=' })
  @ApiQuery({ name: 'organization_alias', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(OrganizationListSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  list(@Query() query: unknown): Promise<OrganizationListJson> {
    return this.organizations.list(query);
  }

  @Get(':id')
  @Access({ kind: 'organization', action: 'read', from: inParam('id') })
  @ApiOperation({ summary: 'An organisation with its members, spend and limits' })
  @ApiResponse({ status: 200, schema: openApiSchema(OrganizationJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  get(@Param('id') id: string): Promise<OrganizationJson> {
    return this.organizations.get(id);
  }

  @Patch(':id')
  @Access({ kind: 'organization', action: 'write', from: inParam('id') })
  @ApiOperation({ summary: 'Change an organisation: alias, models, budget, limits; gateways apply it at once' })
  @ApiBody({ schema: openApiSchema(UpdateOrganizationSchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(OrganizationJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  update(@Param('id') id: string, @Body() body: unknown): Promise<OrganizationJson> {
    return this.organizations.update(id, body);
  }

  @Delete(':id')
  @Access({ kind: 'organization', action: 'write', from: inParam('id') })
  @ApiOperation({ summary: 'Delete an organisation that has no teams left' })
  @ApiResponse({ status: 200, schema: openApiSchema(OrganizationDeletedSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @ApiResponse({ status: 409, description: 'teams still belong to it', ...errorResponse })
  delete(@Param('id') id: string): Promise<{ id: string; deleted: true }> {
    return this.organizations.delete(id);
  }

  @Post(':id/members')
  @Access({ kind: 'organization', action: 'members', from: inParam('id') })
  @ApiOperation({ summary: 'Add a user to the organisation (role org_admin or member), or change their role' })
  @ApiBody({ schema: openApiSchema(OrganizationMemberInputSchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(OrganizationMemberSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  addMember(@Param('id') id: string, @Body() body: unknown): Promise<OrganizationMemberJson> {
    return this.organizations.setMember(id, body);
  }

  @Delete(':id/members/:user_id')
  @Access({ kind: 'organization', action: 'members', from: inParam('id') })
  @ApiOperation({ summary: 'Remove a user from the organisation' })
  @ApiResponse({ status: 404, ...errorResponse })
  removeMember(
    @Param('id') id: string,
    @Param('user_id') userId: string,
  ): ReturnType<OrganizationsService['removeMember']> {
    return this.organizations.removeMember(id, userId);
  }
}
