import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatService } from './chat.service';

@Controller()
export class ChatController {
  constructor(@Inject(ChatService) private readonly chat: ChatService) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  complete(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.chat.complete(req, reply);
  }
}
