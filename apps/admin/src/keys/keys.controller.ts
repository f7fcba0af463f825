import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { errorResponse, openApiSchema } from '../docs/openapi-schema';
import {
  CreateKeySchema,
  CreatedKeyJsonSchema,
  KeyJsonSchema,
  KeyListSchema,
  type CreatedKeyJson,
  type KeyJson,
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
  create(@Body() body: unknown): Promise<CreatedKeyJson> {
    return this.keys.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List keys (without secrets)' })
  @ApiQuery({ name: 'team_id', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyListSchema, 'output') })
  list(@Query('team_id') teamId?: unknown): Promise<{ data: KeyJson[] }> {
    return this.keys.list(teamId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a key (without its secret)' })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  get(@Param('id') id: string): Promise<KeyJson> {
    return this.keys.get(id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a key; gateways stop accepting it within a second' })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyJsonSchema, 'output') })
  @ApiResponse({ status: 404, ...errorResponse })
  revoke(@Param('id') id: string): Promise<KeyJson> {
    return this.keys.revoke(id);
  }
}
