import { Controller, Inject } from '@nestjs/common';
import { Commands, Events, H } from '@switchyard/contracts';
import { NatsRequest, OnCommand, OnEvent } from '@switchyard/nats';
import { AttemptRunner } from './attempts/attempt-runner.service';

/** The translator's NATS entry points. */
@Controller()
export class ExecuteController {
  constructor(@Inject(AttemptRunner) private readonly runner: AttemptRunner) {}

  /** One attempt of a request against one deployment (queue group `translator`). */
  @OnCommand(Commands.executeAttempt)
  execute(request: NatsRequest): Promise<void> {
    return this.runner.run(request);
  }

  /**
   * Broadcast to every translator: the client of a request went away. The instance running one of its
   * attempts aborts it and reports the usage so far; H.attempt narrows the cancel to one attempt.
   */
  @OnEvent(Events.attemptCancel)
  cancel(request: NatsRequest): void {
    const attempt = Number(request.header(H.attempt));
    this.runner.cancel(request.header(H.requestId), Number.isInteger(attempt) && attempt > 0 ? attempt : undefined);
  }
}
