import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '@switchyard/contracts';
import type { Principal } from '../auth/auth.service';
import type { ClientCodec } from '../codecs/client-codec';
import type { AnswerTap } from './answer-tap';
import { newRequestId } from '../http/request-id';
import { sendError } from '../http/send-error';
import { UsageRecorder } from '../usage/usage-recorder.service';
import { AdmissionService } from './admission.service';
import { AUTO_ROUTE_HEADER, AUTO_ROUTE_RULE_HEADER } from './auto-router';
import { FrameRelay } from './frame-relay.service';
import type { RequestBase } from './outcome';

/**
 * One request through any front door: admission (auth → validation → model access → limits), then the
 * relay from the router's frames to the client, then its usage event. The codec says which client API.
 */
@Injectable()
export class RequestPipeline {
  constructor(
    @Inject(AdmissionService) private readonly admission: AdmissionService,
    @Inject(FrameRelay) private readonly relay: FrameRelay,
    @Inject(UsageRecorder) private readonly usage: UsageRecorder,
  ) {}

  /** `tapFor`: a front door's look at the answer of an admitted request (AnswerTap), made for its caller. */
  async handle(
    req: FastifyRequest,
    reply: FastifyReply,
    codec: ClientCodec,
    tapFor?: (principal: Principal) => AnswerTap,
  ): Promise<void> {
    const base: RequestBase = beginRequest();
    reply.header('x-request-id', base.requestId);
    const admitted = await this.admission.admit(req, codec, base.requestId);
    base.principal = admitted.principal;
    base.summary = admitted.summary;
    const auto = admitted.summary?.autoRoute;
    if (auto) {
      // Set on the raw response: the relay writes its head by hand, and these join it (errors included).
      reply.raw.setHeader(AUTO_ROUTE_HEADER, admitted.summary!.model);
      reply.raw.setHeader(AUTO_ROUTE_RULE_HEADER, auto.rule);
    }
    // Set on the raw response so they survive the relay taking it over (writeHead merges them in).
    for (const [name, value] of Object.entries(admitted.effects?.headers ?? {})) reply.raw.setHeader(name, value);
    if (!admitted.ok) {
      sendError(reply, admitted.error, codec);
      this.usage.record(base, { status: admitted.error.status, errorType: admitted.error.type });
      return;
    }
    try {
      const tap = tapFor?.(admitted.principal);
      const outcome = await this.relay.relay(base.requestId, admitted.summary, req, reply, codec, tap);
      this.usage.record(base, outcome);
    } finally {
      for (const fn of admitted.effects?.onEnd ?? []) fn();
    }
  }

  /**
   * A request refused before its handler ran (its body could not be parsed, or was too large): it still
   * gets a request id and a usage event, attributed to its key when the key is valid.
   */
  recordRejection(req: FastifyRequest, error: GatewayError): string {
    const base = beginRequest();
    void this.admission
      .principalOf(req)
      .then((principal) => this.usage.record({ ...base, principal }, { status: error.status, errorType: error.type }));
    return base.requestId;
  }
}

/**
 * A request's identity and clocks: `startedAt` (wall clock) dates its usage event, while durations come
 * from `t0` on the monotonic clock, so a wall clock stepped back mid-request never yields a negative latency.
 */
function beginRequest(): RequestBase {
  return { requestId: newRequestId(), startedAt: Date.now(), t0: performance.now() };
}
