import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ResponsesService } from './responses.service';

/** OpenAI's Responses API, for the OpenAI SDKs' `responses` resource and Codex. */
@Controller()
export class ResponsesController {
  constructor(@Inject(ResponsesService) private readonly responses: ResponsesService) {}

  @Post(['v1/responses', 'responses'])
  @HttpCode(200)
  create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.responses.create(req, reply);
  }

  @Get(['v1/responses/:id', 'responses/:id'])
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    return this.responses.get(req, reply, id);
  }

  @Get(['v1/responses/:id/input_items', 'responses/:id/input_items'])
  inputItems(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    return this.responses.inputItems(req, reply, id);
  }

  @Delete(['v1/responses/:id', 'responses/:id'])
  delete(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    return this.responses.delete(req, reply, id);
  }

  @Post(['v1/responses/:id/cancel', 'responses/:id/cancel'])
  cancel(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    return this.responses.cancel(req, reply, id);
  }
}
