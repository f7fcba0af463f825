import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { CommandDef, EventDef } from '@switchyard/contracts';
import { NATS_TRANSPORT_ID } from './nats.transport';

/** Extras the transport reads from a handler's metadata. */
export interface NatsHandlerExtras {
  queue?: string;
  /** Events only: decode the JSON body and validate it before the handler runs. */
  schema?: EventDef['schema'];
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
