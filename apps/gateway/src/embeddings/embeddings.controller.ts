import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openAIEmbeddingsCodec } from '../codecs/openai-embeddings.codec';
import { RequestPipeline } from '../pipeline/request-pipeline.service';

@Controller()
export class EmbeddingsController {
  constructor(@Inject(RequestPipeline) private readonly pipeline: RequestPipeline) {}

  @Post(['v1/embeddings', 'embeddings'])
  embed(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.handle(req, reply, openAIEmbeddingsCodec);
  }
}
