import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openAIChatCodec } from '../codecs/openai-chat.codec';
import { RequestPipeline } from '../pipeline/request-pipeline.service';

@Controller()
export class ChatController {
  constructor(@Inject(RequestPipeline) private readonly pipeline: RequestPipeline) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  complete(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.handle(req, reply, openAIChatCodec);
  }
}
