import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyInfoService } from './key-info.service';

/** A caller's own key: its budget, what remains, its limits and its usage (OpenRouter's and LiteLLM's routes). */
@Controller()
export class KeyInfoController {
  constructor(@Inject(KeyInfoService) private readonly keyInfo: KeyInfoService) {}

  @Get('v1/key')
  openRouterKey(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.keyInfo.openRouterKey(req, reply);
  }

  // A static route: Fastify prefers it over the admin forward's `key/*`, which still takes every other method.
  @Get('key/info')
  litellmKeyInfo(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.keyInfo.litellmKeyInfo(req, reply);
  }
}
