import { EndUsersController } from './end-users/end-users.controller';
import { EndUsersService } from './end-users/end-users.service';
import { BudgetsController } from './budgets/budgets.controller';
import { BudgetsService } from './budgets/budgets.service';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AnalyticsModule } from '@switchyard/analytics';
import { ConfigModule } from '@switchyard/config';
import { DbModule } from '@switchyard/db';
import { NatsModule } from '@switchyard/nats';
import { AccessPoliciesCheck } from './auth/access-policies.check';
import { AccessService } from './auth/access.service';
import { AdminAccessGuard } from './auth/admin-access.guard';
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
import { TeamMembersController } from './teams/team-members.controller';
import { TeamMembersService } from './teams/team-members.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';
import { OrganizationsController } from './organizations/organizations.controller';
import { OrganizationsService } from './organizations/organizations.service';
import { LitellmTenancyController } from './litellm/litellm-tenancy.controller';
import { LitellmTenancyService } from './litellm/litellm-tenancy.service';

@Module({
  imports: [ConfigModule, DbModule, NatsModule, AnalyticsModule, DiscoveryModule],
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
    TeamMembersController,
    UsersController,
    OrganizationsController,
    LitellmTenancyController,
    BudgetsController,
  ],
  providers: [
    EndUsersService,
    BudgetsService,
    masterKeyProvider,
    AccessService,
    AccessPoliciesCheck,
    { provide: APP_GUARD, useClass: AdminAccessGuard },
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
    TeamMembersService,
    UsersService,
    OrganizationsService,
    LitellmTenancyService,
  ],
})
export class AdminModule {}
