import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModelsService } from './models.service';

@Controller()
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get(['v1/models', 'models'])
  list(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.models.list(req, reply);
  }

  @Get(['v1/models/*', 'models/*'])
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('*') id: string): Promise<void> {
    return this.models.get(req, reply, id);
  }
}
