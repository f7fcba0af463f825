import { Inject, Injectable, Logger } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@switchyard/contracts';
import { JobHandler } from '@switchyard/jobs';
import { NATS, SUBJECTS, usageBacklog, type UsageBacklog } from '@switchyard/nats';

/**
 * The usage stream's max age is the one bound that deletes events spend has not processed, and a full
 * stream makes gateways drop events after their retries: say so loudly, long before either happens.
 */
@Injectable()
export class UsageBacklogJobs {
  private readonly logger = new Logger('UsageBacklog');

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
  ) {}

  @JobHandler('usage.backlog-check')
  async check(): Promise<Omit<UsageBacklog, 'alert'> | { retention: string }> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(this.subjects.usageStream);
    const backlog = usageBacklog(info);
    if (!backlog) return { retention: info.config.retention };
    if (backlog.alert) this.logger[backlog.alert.level](backlog.alert.message);
    const { alert: _alert, ...rest } = backlog;
    return rest;
  }
}
