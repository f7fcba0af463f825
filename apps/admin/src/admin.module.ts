import { EndUsersController } from './end-users/end-users.controller';
import { EndUsersService } from './end-users/end-users.service';
import { BudgetsController } from './budgets/budgets.controller';
import { BudgetsService } from './budgets/budgets.service';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AnalyticsModule } from '@switchyard/analytics';
import { ConfigModule } from '@switchyard/config';
import { DbModule } from '@switchyard/db';
import { NatsModule } from '@switchyard/nats';
import { MasterKeyGuard } from './auth/master-key.guard';
import { masterKeyProvider } from './auth/master-key.provider';
import { AnalyticsController } from './analytics/analytics.controller';
import { AnalyticsService } from './analytics/analytics.service';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
import { DeploymentsController } from './deployments/deployments.controller';
import { DeploymentsService } from './deployments/deployments.service';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { KeyEventsPublisher } from '@switchyard/nats';
import { KeysController } from './keys/keys.controller';
import { KeysService } from './keys/keys.service';
import { LitellmController } from './litellm/litellm.controller';
import { LitellmService } from './litellm/litellm.service';
import { SpendController } from './spend/spend.controller';
import { SpendService } from './spend/spend.service';
import { TeamsController } from './teams/teams.controller';
import { TeamsService } from './teams/teams.service';

@Module({
  imports: [ConfigModule, DbModule, NatsModule, AnalyticsModule],
  controllers: [
    TeamsController,
    KeysController,
    SpendController,
    HealthController,
    LitellmController,
    DeploymentsController,
    AuditController,
    AnalyticsController,
    EndUsersController,
    BudgetsController,
  ],
  providers: [
    EndUsersService,
    BudgetsService,
    masterKeyProvider,
    { provide: APP_GUARD, useClass: MasterKeyGuard },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    TeamsService,
    KeysService,
    SpendService,
    HealthService,
    KeyEventsPublisher,
    LitellmService,
    DeploymentsService,
    AuditService,
    AnalyticsService,
  ],
})
export class AdminModule {}
