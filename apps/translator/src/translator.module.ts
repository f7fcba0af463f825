import { Module } from '@nestjs/common';
import { ConfigModule } from '@switchyard/config';
import { NatsModule } from '@switchyard/nats';
import { ChatExecuteHandler } from './chat-execute.handler';
import { DeploymentCatalog } from './deployment-catalog.service';
import { loadTranslatorOptions, TRANSLATOR_OPTIONS } from './translator.options';
import { UpstreamPools } from './upstream-pools.service';

@Module({
  imports: [ConfigModule.withProviderSecrets(), NatsModule],
  providers: [
    { provide: TRANSLATOR_OPTIONS, useFactory: () => loadTranslatorOptions() },
    DeploymentCatalog,
    UpstreamPools,
    ChatExecuteHandler,
  ],
})
export class TranslatorModule {}
