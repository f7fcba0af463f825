import { Module } from '@nestjs/common';
import { ConfigModule } from '@switchyard/config';
import { NatsModule } from '@switchyard/nats';
import { DeploymentState } from './deployment-state/deployment-state.service';
import { RequestRouter } from './request-router.service';
import { RouteController } from './route.controller';

@Module({
  imports: [ConfigModule, NatsModule],
  controllers: [RouteController],
  providers: [DeploymentState, RequestRouter],
})
export class RouterModule {}
