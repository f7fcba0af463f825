import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openAICompletionsCodec } from '../codecs/openai-completions.codec';
import { RequestPipeline } from '../pipeline/request-pipeline.service';

@Controller()
export class CompletionsController {
  constructor(@Inject(RequestPipeline) private readonly pipeline: RequestPipeline) {}

  @Post(['v1/completions', 'completions'])
  complete(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.handle(req, reply, openAICompletionsCodec);
  }
}
