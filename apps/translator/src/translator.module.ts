import { Module } from '@nestjs/common';
import { ConfigModule } from '@switchyard/config';
import { NatsModule } from '@switchyard/nats';
import { AttemptRegistry } from './attempts/attempt-registry.service';
import { AttemptRunner } from './attempts/attempt-runner.service';
import { CredentialsService } from './credentials/credentials.service';
import { DeploymentCatalog } from './deployment-catalog.service';
import { ExecuteController } from './execute.controller';
import { FramePublisher } from './relay/frame-publisher.service';
import { ResponseRelay } from './relay/response-relay.service';
import { StreamRelay } from './relay/stream-relay.service';
import { loadTranslatorOptions, TRANSLATOR_OPTIONS } from './translator.options';
import { UpstreamClient } from './upstream/upstream-client.service';
import { UpstreamPools } from './upstream/upstream-pools.service';

@Module({
  imports: [ConfigModule.withProviderSecrets(), NatsModule],
  controllers: [ExecuteController],
  providers: [
    { provide: TRANSLATOR_OPTIONS, useFactory: () => loadTranslatorOptions() },
    DeploymentCatalog,
    UpstreamPools,
    UpstreamClient,
    CredentialsService,
    AttemptRegistry,
    FramePublisher,
    ResponseRelay,
    StreamRelay,
    AttemptRunner,
  ],
})
export class TranslatorModule {}
