import { Controller, Inject } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { Events } from '@switchyard/contracts';
import { OnStreamBatch } from '@switchyard/nats';
import { USAGE_CONSUMER, UsageConsumerService } from './usage-consumer.service';

/** Spend's NATS entry point: batches of usage events from the durable JetStream consumer. */
@Controller()
export class UsageController {
  constructor(@Inject(UsageConsumerService) private readonly usage: UsageConsumerService) {}

  @OnStreamBatch(Events.usageRecorded, USAGE_CONSUMER)
  recorded(msgs: JsMsg[]): Promise<void> {
    return this.usage.handle(msgs);
  }
}
