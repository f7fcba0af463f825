import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Access } from '../auth/access.decorator';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import { EndUserJsonSchema, UpsertEndUserSchema, type EndUserJson } from './end-users.schemas';
import { EndUsersService } from './end-users.service';

/** End users (customers) under /v1 and LiteLLM's /customer routes. */
@ApiTags('end-users')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown key', ...errorResponse })
@ApiResponse({ status: 403, description: 'Your role does not allow this route', ...errorResponse })
@Controller()
export class EndUsersController {
  constructor(@Inject(EndUsersService) private readonly endUsers: EndUsersService) {}

  @Post('v1/end-users')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an end user, or change the fields given of an existing one' })
  @ApiBody({ schema: openApiSchema(UpsertEndUserSchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(EndUserJsonSchema, 'output') })
  @Access({ kind: 'global', action: 'write' })
  upsert(@Body() body: unknown): Promise<EndUserJson> {
    return this.endUsers.upsert(body);
  }

  @Get('v1/end-users/:id')
  @ApiOperation({ summary: 'An end user with its spend and limits' })
  @ApiResponse({ status: 200, schema: openApiSchema(EndUserJsonSchema, 'output') })
  @Access({ kind: 'global', action: 'read' })
  get(@Param('id') id: string): Promise<EndUserJson> {
    return this.endUsers.get(id);
  }

  @Post('customer/new')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/end-users' })
  @ApiBody({ schema: openApiSchema(UpsertEndUserSchema) })
  @Access({ kind: 'global', action: 'write' })
  newCustomer(@Body() body: unknown): Promise<EndUserJson> {
    return this.endUsers.upsert(body);
  }

  @Post('customer/update')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/end-users' })
  @ApiBody({ schema: openApiSchema(UpsertEndUserSchema) })
  @Access({ kind: 'global', action: 'write' })
  updateCustomer(@Body() body: unknown): Promise<EndUserJson> {
    return this.endUsers.upsert(body);
  }

  @Get('customer/info')
  @ApiOperation({ summary: 'LiteLLM alias of GET /v1/end-users/{id}' })
  @ApiQuery({ name: 'end_user_id', required: true })
  @Access({ kind: 'global', action: 'read' })
  info(@Query('end_user_id') id: unknown): Promise<EndUserJson> {
    return this.endUsers.get(id);
  }

  @Post('customer/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM: block an end user (`user_ids: [id]` or `user_id`)' })
  @Access({ kind: 'global', action: 'write' })
  block(@Body() body: unknown): Promise<EndUserJson> {
    return this.endUsers.block(body, true);
  }

  @Post('customer/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM: unblock an end user (`user_ids: [id]` or `user_id`)' })
  @Access({ kind: 'global', action: 'write' })
  unblock(@Body() body: unknown): Promise<EndUserJson> {
    return this.endUsers.block(body, false);
  }
}
