import { Module } from '@nestjs/common';
import { ConfigModule } from '@switchyard/config';
import { NatsModule } from '@switchyard/nats';
import { ChatRouteHandler } from './chat-route.handler';

@Module({
  imports: [ConfigModule, NatsModule],
  providers: [ChatRouteHandler],
})
export class RouterModule {}
