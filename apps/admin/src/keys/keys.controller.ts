import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { Access, inParam, inQuery } from '../auth/access.decorator';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  CreateKeySchema,
  CreatedKeyJsonSchema,
  KeyJsonSchema,
  KeyListSchema,
  RegenerateKeySchema,
  RegeneratedKeyJsonSchema,
  UpdateKeySchema,
  type CreatedKeyJson,
  type KeyJson,
  type RegeneratedKeyJson,
} from './keys.schemas';
import { KeysService } from './keys.service';

@ApiTags('keys')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or wrong master key', ...errorResponse })
@Controller('v1/keys')
export class KeysController {
  constructor(@Inject(KeysService) private readonly keys: KeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a virtual key; the secret is returned only in this response' })
  @ApiBody({ schema: openApiSchema(CreateKeySchema) })
  @ApiResponse({ status: 201, schema: openApiSchema(CreatedKeyJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, description: 'team_id names no team', ...errorResponse })
  @Access({ kind: 'key_create' })
  create(@Body() body: unknown): Promise<CreatedKeyJson> {
    return this.keys.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List keys (without secrets)' })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyListSchema, 'output') })
  @Access({ kind: 'team', action: 'oversee', from: inQuery('team_id'), orGlobal: true })
  list(@Query('team_id') teamId?: unknown): Promise<{ data: KeyJson[] }> {
    return this.keys.list(teamId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a key (without its secret)' })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'key', action: 'read', from: inParam('id') })
  get(@Param('id') id: string): Promise<KeyJson> {
    return this.keys.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a key: limits, budget, models, alias, blocked; every gateway applies it within a second',
  })
  @ApiBody({ schema: openApiSchema(UpdateKeySchema) })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'key', action: 'write', from: inParam('id') })
  update(@Param('id') id: string, @Body() body: unknown): Promise<KeyJson> {
    return this.keys.update(id, body);
  }

  @Post(':id/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block a key: every gateway refuses it within a second, until unblocked' })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'key', action: 'write', from: inParam('id') })
  block(@Param('id') id: string): Promise<KeyJson> {
    return this.keys.block(id, true);
  }

  @Post(':id/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unblock a key' })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'key', action: 'write', from: inParam('id') })
  unblock(@Param('id') id: string): Promise<KeyJson> {
    return this.keys.block(id, false);
  }

  @Post(':id/regenerate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Give a key a new secret (returned only here); the old one works for grace_period (e.g. "24h"), else stops at once, on every gateway',
  })
  @ApiBody({ schema: openApiSchema(RegenerateKeySchema), required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(RegeneratedKeyJsonSchema, 'output') })
  @ApiResponse({ status: 400, ...errorResponse })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'key', action: 'write', from: inParam('id') })
  regenerate(@Param('id') id: string, @Body() body: unknown): Promise<RegeneratedKeyJson> {
    return this.keys.regenerate(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a key; gateways stop accepting it within a second' })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  @Access({ kind: 'key', action: 'write', from: inParam('id') })
  revoke(@Param('id') id: string): Promise<KeyJson> {
    return this.keys.revoke(id);
  }
}
