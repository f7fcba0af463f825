import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@switchyard/analytics';
import { ConfigModule } from '@switchyard/config';
import { DbModule } from '@switchyard/db';
import { JobsModule } from '@switchyard/jobs';
import { KeyEventsPublisher, NatsModule } from '@switchyard/nats';
import { BudgetResetJobs } from './budgets/budget-reset.jobs';
import { SoftBudgetAlertJobs } from './budgets/soft-budget-alert.jobs';
import { KeyExpiryJobs } from './keys/key-expiry.jobs';
import { StoredResponsesJobs } from './responses/stored-responses.jobs';
import { SpendReportJobs } from './reports/spend-report.jobs';
import { UsageBacklogJobs } from './usage/usage-backlog.jobs';
import { UsageBatchService } from './usage/usage-batch.service';
import { UsageConsumerService } from './usage/usage-consumer.service';
import { UsageLedgerJobs } from './usage/usage-ledger.jobs';
import { UsageRollupJobs } from './usage/usage-rollup.jobs';
import { UsageSettlementService } from './usage/usage-settlement.service';
import { UsageController } from './usage/usage.controller';

@Module({
  imports: [ConfigModule, NatsModule, DbModule, AnalyticsModule, JobsModule],
  controllers: [UsageController],
  providers: [
    UsageSettlementService,
    UsageBatchService,
    UsageConsumerService,
    KeyExpiryJobs,
    BudgetResetJobs,
    SoftBudgetAlertJobs,
    UsageLedgerJobs,
    UsageBacklogJobs,
    StoredResponsesJobs,
    UsageRollupJobs,
    SpendReportJobs,
    KeyEventsPublisher,
  ],
})
export class SpendModule {}
