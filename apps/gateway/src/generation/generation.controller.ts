import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GenerationService } from './generation.service';

@Controller()
export class GenerationController {
  constructor(@Inject(GenerationService) private readonly generations: GenerationService) {}

  @Get(['v1/generation', 'generation'])
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.generations.get(req, reply);
  }
}
