import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { CommandDef, EventDef } from '@switchyard/contracts';
import { NATS_TRANSPORT_ID } from './nats.transport';
import type { StreamConsumerOptions } from './stream-batch.consumer';

/** Extras the transport reads from a handler's metadata. */
export interface NatsHandlerExtras {
  queue?: string;
  /** Events only: decode the JSON body and validate it before the handler runs. */
  schema?: EventDef['schema'];
  /** Batch handlers only (OnStreamBatch): the durable JetStream consumer the batches come from. */
  consumer?: StreamConsumerOptions;
}

/**
 * Declares the method as the handler of a catalogue command (libs/contracts catalogue.ts). The handler
 * receives a NatsRequest; it answers with `request.respond(...)` (any number of frames may also go
 * elsewhere) or by returning a NatsReply. A throw or rejection is answered with an `internal` error frame
 * when nothing was answered yet.
 */
export function OnCommand(def: CommandDef): MethodDecorator {
  const extras: NatsHandlerExtras = { queue: def.queue };
  return MessagePattern(def.subject, NATS_TRANSPORT_ID, extras);
}

/**
 * Declares the method as a handler of a catalogue event. With a schema in the definition it receives the
 * validated payload; without one, the NatsRequest. Events are never answered; a failure is logged.
 */
export function OnEvent(def: EventDef): MethodDecorator {
  const extras: NatsHandlerExtras = { queue: def.queue, schema: def.schema };
  return EventPattern(def.subject, NATS_TRANSPORT_ID, extras);
}

/**
 * Declares the method as the batch handler of a catalogue event stored in JetStream, read through a
 * durable pull consumer that every instance of the service shares (each message goes to one instance).
 * The transport creates the consumer when it is missing and pulls batches of at most `consumer.batch`
 * messages, one batch at a time; the handler receives them as `JsMsg[]` (raw: the schema is the handler's
 * to apply) and settles each one itself: ack, nak (with a delay), term, or working() while it takes long.
 * When the returned promise settles, the transport pulls the next batch. A handler that throws has the
 * messages it left unsettled nak'ed; nothing but shutdown stops the pulling, and shutdown lets the batch in
 * hand finish first. The stream itself must exist before listen() (create it in onApplicationBootstrap).
 */
export function OnStreamBatch(def: EventDef, consumer: StreamConsumerOptions): MethodDecorator {
  const extras: NatsHandlerExtras = { consumer };
  return EventPattern(def.subject, NATS_TRANSPORT_ID, extras);
}
