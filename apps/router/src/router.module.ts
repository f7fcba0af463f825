import { Module } from '@nestjs/common';
import { ConfigModule } from '@switchyard/config';
import { NatsModule } from '@switchyard/nats';
import { RequestRouter } from './request-router.service';
import { RouteController } from './route.controller';

@Module({
  imports: [ConfigModule, NatsModule],
  controllers: [RouteController],
  providers: [RequestRouter],
})
export class RouterModule {}
