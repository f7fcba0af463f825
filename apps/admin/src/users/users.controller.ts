import { Body, Controller, Delete, Get, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access, inParam } from '../auth/access.decorator';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  CreateUserSchema,
  UpdateUserSchema,
  UserDeletedSchema,
  UserJsonSchema,
  UserListSchema,
  type UserJson,
  type UserListJson,
} from './users.schemas';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller('v1/users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Post()
  @Access({ kind: 'global', action: 'write' })
  @ApiOperation({ summary: 'Create a user with a global role, an organisation, teams, budget and limits' })
  @ApiBody({ schema: openApiSchema(CreateUserSchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(UserJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 409, description: 'user_id taken', ...errorResponse })
  create(@Body() body: unknown): Promise<UserJson> {
    return this.users.create(body);
  }

  @Get()
  @Access({ kind: 'caller' })
  @ApiOperation({
    summary: 'Users the caller may see, newest first: ?user_role=&organization_id=&team_id=&user_email=&limit=&cursor=',
  })
  @ApiQuery({ name: 'user_role', required: false })
  @ApiQuery({ name: 'organization_id', required: false })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiQuery({ name: 'user_email', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(UserListSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  list(@Query() query: unknown): Promise<UserListJson> {
    return this.users.list(query);
  }

  @Get(':id')
  @Access({ kind: 'user', action: 'read', from: inParam('id') })
  @ApiOperation({ summary: 'A user, with their teams and spend' })
  @ApiResponse({ status: 200, schema: openApiSchema(UserJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  get(@Param('id') id: string): Promise<UserJson> {
    return this.users.get(id);
  }

  @Patch(':id')
  @Access({ kind: 'user', action: 'write', from: inParam('id') })
  @ApiOperation({ summary: 'Change a user: role, organisation, models, budget, limits; gateways apply it at once' })
  @ApiBody({ schema: openApiSchema(UpdateUserSchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(UserJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  update(@Param('id') id: string, @Body() body: unknown): Promise<UserJson> {
    return this.users.update(id, body);
  }

  @Delete(':id')
  @Access({ kind: 'user', action: 'write', from: inParam('id') })
  @ApiOperation({ summary: 'Delete a user: their memberships go and their keys are revoked' })
  @ApiResponse({ status: 200, schema: openApiSchema(UserDeletedSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  delete(@Param('id') id: string): ReturnType<UsersService['delete']> {
    return this.users.delete(id);
  }
}
