import { Module } from '@nestjs/common';
import { ConfigModule } from '@switchyard/config';
import { DbModule, KeysRepository } from '@switchyard/db';
import { NatsModule } from '@switchyard/nats';
import { AuthService } from './auth/auth.service';
import { KeyCacheService } from './auth/key-cache.service';
import { KeyEventsController } from './auth/key-events.controller';
import { ChatController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { UsagePublisherService } from './usage/usage-publisher.service';

@Module({
  imports: [ConfigModule, NatsModule, DbModule],
  controllers: [ChatController, ModelsController, HealthController, KeyEventsController],
  providers: [
    KeysRepository,
    KeyCacheService,
    AuthService,
    ChatService,
    ModelsService,
    HealthService,
    UsagePublisherService,
  ],
})
export class GatewayModule {}
