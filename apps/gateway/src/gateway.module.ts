import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@switchyard/analytics';
import { ConfigModule } from '@switchyard/config';
import { DbModule, KeysRepository } from '@switchyard/db';
import { NatsModule } from '@switchyard/nats';
import { AdminForwardController } from './admin-forward/admin-forward.controller';
import { AdminForwardService } from './admin-forward/admin-forward.service';
import { AuthService } from './auth/auth.service';
import { KeyCacheService } from './auth/key-cache.service';
import { KeyEventsController } from './auth/key-events.controller';
import { ChatController } from './chat/chat.controller';
import { CompletionsController } from './completions/completions.controller';
import { EmbeddingsController } from './embeddings/embeddings.controller';
import { MessagesController } from './messages/messages.controller';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesService } from './responses/responses.service';
import { GenerationController } from './generation/generation.controller';
import { GenerationService } from './generation/generation.service';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { EndUserLimitsService } from './limits/end-user-limits.service';
import { LimitsCheck } from './limits/limits.check';
import { GatewayLimitsStore } from './limits/limits-store.provider';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { ADMISSION_CHECKS } from './pipeline/admission-check';
import { AdmissionService } from './pipeline/admission.service';
import { FrameRelay } from './pipeline/frame-relay.service';
import { RequestPipeline } from './pipeline/request-pipeline.service';
import { KeyInfoController } from './self-service/key-info.controller';
import { KeyInfoService } from './self-service/key-info.service';
import { UsagePublisherService } from './usage/usage-publisher.service';
import { UsageRecorder } from './usage/usage-recorder.service';

@Module({
  imports: [ConfigModule, NatsModule, DbModule, AnalyticsModule],
  controllers: [
    ChatController,
    EmbeddingsController,
    CompletionsController,
    MessagesController,
    ResponsesController,
    ModelsController,
    HealthController,
    KeyEventsController,
    AdminForwardController,
    GenerationController,
    KeyInfoController,
  ],
  providers: [
    KeysRepository,
    ResponsesService,
    KeyCacheService,
    AuthService,
    GatewayLimitsStore,
    EndUserLimitsService,
    LimitsCheck,
    // Each an AdmissionCheck, run after model access in this order.
    { provide: ADMISSION_CHECKS, useFactory: (limits: LimitsCheck) => [limits], inject: [LimitsCheck] },
    AdmissionService,
    FrameRelay,
    UsageRecorder,
    RequestPipeline,
    ModelsService,
    HealthService,
    AdminForwardService,
    UsagePublisherService,
    GenerationService,
    KeyInfoService,
  ],
})
export class GatewayModule {}
