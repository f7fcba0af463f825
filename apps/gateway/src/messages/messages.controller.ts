import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { anthropicCountTokensCodec, anthropicMessagesCodec } from '../codecs/anthropic-messages.codec';
import { RequestPipeline } from '../pipeline/request-pipeline.service';

/**
 * Anthropic's Messages API, for the Anthropic SDKs and Claude Code (`ANTHROPIC_BASE_URL` at the gateway;
 * the SDKs' beta client adds `?beta=true`, which routes the same).
 */
@Controller()
export class MessagesController {
  constructor(@Inject(RequestPipeline) private readonly pipeline: RequestPipeline) {}

  @Post(['v1/messages', 'messages'])
  @HttpCode(200)
  create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.handle(req, reply, anthropicMessagesCodec);
  }

  @Post(['v1/messages/count_tokens', 'messages/count_tokens'])
  @HttpCode(200)
  countTokens(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.handle(req, reply, anthropicCountTokensCodec);
  }
}
