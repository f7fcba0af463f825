import { Access, inBody, inParam, inQuery } from '../auth/access.decorator';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema } from '../docs/openapi-schema';
import { CreateKeySchema, RegenerateKeySchema, UpdateKeySchema } from '../keys/keys.schemas';
import { CreateTeamSchema, UpdateTeamSchema } from '../teams/teams.schemas';
import { LitellmService } from './litellm.service';

/** LiteLLM proxy-compatible aliases, so existing LiteLLM admin scripts keep working. */
@ApiTags('litellm-compatible')
@ApiBearerAuth()
@Controller()
export class LitellmController {
  constructor(@Inject(LitellmService) private readonly litellm: LitellmService) {}

  @Post('key/generate')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/keys (unknown fields ignored)' })
  @ApiBody({ schema: openApiSchema(CreateKeySchema) })
  @Access({ kind: 'key_create' })
  generate(@Body() body: unknown): ReturnType<LitellmService['generateKey']> {
    return this.litellm.generateKey(body);
  }

  @Post('key/update')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of PATCH /v1/keys/{id} (`key`: id or secret; unknown fields ignored)' })
  @ApiBody({ schema: openApiSchema(UpdateKeySchema) })
  @Access({ kind: 'key', action: 'write', from: inBody('key') })
  updateKey(@Body() body: unknown): ReturnType<LitellmService['updateKey']> {
    return this.litellm.updateKey(body);
  }

  @Post('key/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/keys/{id}/block (`key`: id or secret)' })
  @Access({ kind: 'key', action: 'write', from: inBody('key') })
  blockKey(@Body() body: unknown): ReturnType<LitellmService['blockKey']> {
    return this.litellm.blockKey(body, true);
  }

  @Post('key/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/keys/{id}/unblock (`key`: id or secret)' })
  @Access({ kind: 'key', action: 'write', from: inBody('key') })
  unblockKey(@Body() body: unknown): ReturnType<LitellmService['blockKey']> {
    return this.litellm.blockKey(body, false);
  }

  @Post('key/delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias: revoke keys given by id or secret' })
  @ApiBody({
    schema: { type: 'object', properties: { keys: { type: 'array', items: { type: 'string' } } }, required: ['keys'] },
  })
  @Access({ kind: 'key', action: 'write', from: inBody('keys') })
  delete(@Body() body: unknown): ReturnType<LitellmService['deleteKeys']> {
    return this.litellm.deleteKeys(body);
  }

  @Get('key/info')
  @ApiOperation({ summary: 'LiteLLM alias of GET /v1/keys/{id}' })
  @ApiQuery({ name: 'key', required: true })
  @Access({ kind: 'key', action: 'read', from: inQuery('key') })
  info(@Query('key') key: unknown): ReturnType<LitellmService['keyInfo']> {
    return this.litellm.keyInfo(key);
  }

  @Post('key/regenerate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'LiteLLM alias of POST /v1/keys/{id}/regenerate (`key`: id or secret; grace_period like "24h")',
  })
  @ApiBody({ schema: openApiSchema(RegenerateKeySchema) })
  @Access({ kind: 'key', action: 'write', from: inBody('key') })
  regenerateKey(@Body() body: unknown): ReturnType<LitellmService['regenerateKey']> {
    return this.litellm.regenerateKey(undefined, body);
  }

  @Post('key/:key/regenerate')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/keys/{id}/regenerate (the key, id or secret, in the path)' })
  @ApiBody({ schema: openApiSchema(RegenerateKeySchema), required: false })
  @Access({ kind: 'key', action: 'write', from: inParam('key') })
  regenerateKeyByPath(@Param('key') key: string, @Body() body: unknown): ReturnType<LitellmService['regenerateKey']> {
    return this.litellm.regenerateKey(key, body);
  }

  @Get('key/list')
  @ApiOperation({
    summary:
      "LiteLLM's key list: key ids (or objects with return_full_object=true), never secrets; page, size, user_id, team_id, key_alias",
  })
  @Access({ kind: 'global', action: 'read' })
  listKeys(@Query() query: Record<string, unknown>): ReturnType<LitellmService['listKeys']> {
    return this.litellm.listKeys(query);
  }

  @Post('team/new')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of POST /v1/teams (unknown fields ignored)' })
  @ApiBody({ schema: openApiSchema(CreateTeamSchema) })
  @Access({ kind: 'team_create' })
  newTeam(@Body() body: unknown): ReturnType<LitellmService['newTeam']> {
    return this.litellm.newTeam(body);
  }

  @Post('team/update')
  @HttpCode(200)
  @ApiOperation({ summary: 'LiteLLM alias of PATCH /v1/teams/{team_id} (team_id in the body; unknown fields ignored)' })
  @ApiBody({ schema: openApiSchema(UpdateTeamSchema) })
  @Access({ kind: 'team', action: 'write', from: inBody('team_id') })
  updateTeam(@Body() body: unknown): ReturnType<LitellmService['updateTeam']> {
    return this.litellm.updateTeam(body);
  }

  @Get('spend/logs')
  @ApiOperation({ summary: "LiteLLM's spend logs: requests by api_key, user_id, request_id, start_date, end_date" })
  @Access({ kind: 'key', action: 'read', from: inQuery('api_key'), orGlobal: true })
  spendLogs(@Query() query: Record<string, unknown>): ReturnType<LitellmService['spendLogs']> {
    return this.litellm.spendLogs(query);
  }

  @Get('global/spend/report')
  @ApiOperation({ summary: "LiteLLM's spend report: per day and team (or customer, api_key), per model" })
  @Access({ kind: 'global', action: 'read' })
  globalSpendReport(@Query() query: Record<string, unknown>): ReturnType<LitellmService['globalSpendReport']> {
    return this.litellm.globalSpendReport(query);
  }
}
