import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EndUsersRepository, type EndUserRecord } from '@switchyard/db';

/**
 * The end users (customers) the gateway enforces something on (blocked, or with a budget or rate limit), all held in
 * memory and reloaded in the background every REFRESH_MS: a request never waits on Postgres for its end user, and a
 * flood of new `user` values costs no query. A change made through the admin API applies within REFRESH_MS.
 */
@Injectable()
export class EndUserLimitsService implements OnModuleInit, OnApplicationShutdown {
  static readonly REFRESH_MS = 1_000;
  private readonly logger = new Logger('EndUserLimits');
  private byId = new Map<string, EndUserRecord>();
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(@Inject(EndUsersRepository) private readonly endUsers: EndUsersRepository) {}

  onModuleInit(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), EndUserLimitsService.REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The end user's record when it has something to enforce; undefined otherwise. */
  get(id: string): EndUserRecord | undefined {
    return this.byId.get(id);
  }

  private async refresh(): Promise<void> {
    try {
      const rows = await this.endUsers.listEnforced();
      this.byId = new Map(rows.map((r) => [r.id, r]));
      if (this.failing) {
        this.failing = false;
        this.logger.log('end-user limits load again');
      }
    } catch (e) {
      // The last list keeps applying; logged once per outage.
      if (!this.failing) {
        this.failing = true;
        this.logger.warn(`could not load end-user limits (${(e as Error).message}); the last ones loaded still apply`);
      }
    }
  }
}
