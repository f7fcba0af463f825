import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONFIG, ENV, type Env, type SwitchyardConfig } from '@switchyard/config';
import {
  Commands,
  encodeSummary,
  Errors,
  Events,
  H,
  type FrameMeta,
  type GatewayError,
  type RequestSummary,
} from '@switchyard/contracts';
import {
  frameAttempt,
  frameKind,
  isNoResponders,
  NATS,
  NATS_CLIENT,
  NatsClient,
  natsHeaders,
  parseMeta,
  readErrorFrame,
} from '@switchyard/nats';
import type { ClientCodec } from '../codecs/client-codec';
import { writeError } from '../http/send-error';
import type { AnswerTap } from './answer-tap';
import type { Outcome } from './outcome';
import { RouteHeaders } from './route-headers';

const EMPTY = new Uint8Array(0);

/** nano-USD as an exact USD decimal ("0.00725"). */
function usdText(nanos: number): string {
  const n = BigInt(nanos);
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${n / 1_000_000_000n}.${frac}` : (n / 1_000_000_000n).toString();
}

/**
 * Hands an admitted request to the router over NATS and writes the frames that come back to the client:
 * only those of the attempt that committed; the client API's terminator at the end of a stream; errors in
 * the client API's envelope. Writes respect backpressure: a client that stops reading may hold at most
 * SWITCHYARD_MAX_CLIENT_BUFFER_BYTES of answer in the gateway's memory; past that the request ends as a
 * 499 (`client_too_slow`) and the upstream call is stopped, like a client that went away.
 */
@Injectable()
export class FrameRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger('FrameRelay');
  private readonly timeoutMs: number;
  private readonly maxBuffered: number;
  private readonly routes: RouteHeaders;
  /** How much longer than the translator's deadline we wait for its final report. */
  static readonly TIMEOUT_GRACE_MS = 2000;
  /**
   * NATS is unreachable (disconnected, reconnecting): a new request is answered 503 at once rather than
   * buffered by the client library until NATS returns or the request's deadline passes. Its usage event is
   * still recorded (spooled to disk and replayed by the usage publisher).
   */
  private linkDown = false;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CLIENT) private readonly client: NatsClient,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(ENV) env: Env,
  ) {
    this.timeoutMs = config.routerSettings.timeoutMs;
    this.maxBuffered = env.SWITCHYARD_MAX_CLIENT_BUFFER_BYTES;
    this.routes = new RouteHeaders(config.deployments);
  }

  onApplicationBootstrap(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect') {
          if (!this.linkDown) this.logger.error('NATS is unreachable: new requests are answered 503 until it returns');
          this.linkDown = true;
        } else if (s.type === 'reconnect') {
          if (this.linkDown) this.logger.log('NATS is reachable again: requests are routed');
          this.linkDown = false;
        }
      }
    })().catch(() => undefined);
  }

  /**
   * Sends the request on its way and writes what comes back; resolves when the client's answer is complete.
   * `tap` sees the answer before the client does (AnswerTap).
   */
  relay(
    requestId: string,
    summary: RequestSummary,
    req: FastifyRequest,
    reply: FastifyReply,
    codec: ClientCodec,
    tap?: AnswerTap,
  ): Promise<Outcome> {
    const raw = (req as FastifyRequest & { rawBody?: Buffer }).rawBody!;
    // From here on the response is written by hand, frame by frame, without Fastify's serialisation.
    reply.hijack();
    return new Promise<Outcome>((resolve) => {
      let streaming = false;
      let finished = false;
      /** The attempt whose frames the client gets: the first to send content. 0 until one does. */
      let committed = 0;
      /** Filled once the request is on its way; read by finish(), which may run before that. */
      const replies: { subscription?: { unsubscribe(): void } } = {};
      const outcome: Outcome = { status: 0 };
      const res = reply.raw;

      const finish = (status: number, extra?: Partial<Outcome>) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        replies.subscription?.unsubscribe();
        Object.assign(outcome, extra);
        outcome.status = status;
        resolve(outcome);
      };
      const fail = (error: GatewayError, meta?: FrameMeta) => {
        if (streaming) {
          // Headers are gone: tell the client in-band, as its API does, then end the stream.
          const ctx = { requestId, model: summary.model, n: summary.n ?? 1, created: Math.floor(Date.now() / 1000) };
          res.end(tap?.streamError?.(error, ctx) ?? codec.streamError(error, ctx));
        } else if (!res.headersSent) {
          writeError(res, error, requestId, codec);
        } else {
          // Part of a JSON body is out: cutting the connection is the only honest way to say it is incomplete.
          res.destroy();
        }
        // A client that went away keeps that reason, whatever error the upstream side ended with.
        finish(error.status, { meta, errorType: outcome.errorType ?? error.type });
      };
      const cancelUpstream = () => {
        try {
          this.client.notify(Events.attemptCancel, {
            data: EMPTY,
            headers: natsHeaders({ [H.requestId]: requestId }),
          });
        } catch (e) {
          this.logger.warn(`request ${requestId}: could not tell translators the client left: ${(e as Error).message}`);
        }
      };
      /** Writes to the client; a client that lets too much pile up unread is cut off (499 client_too_slow). */
      const write = (data: Uint8Array) => {
        if (res.destroyed) return; // cut off or gone: the rest of the answer is only billed
        res.write(data);
        if (res.writableLength > this.maxBuffered && outcome.errorType === undefined) {
          outcome.errorType = 'client_too_slow';
          this.logger.warn(
            `request ${requestId}: the client stopped reading (${res.writableLength} bytes waiting, limit SWITCHYARD_MAX_CLIENT_BUFFER_BYTES=${this.maxBuffered}); ending it`,
          );
          // The close handler below stops the upstream call; the translator's report still bills the tokens.
          res.destroy();
        }
      };

      // The translator gives up at the request's timeout and reports what it knows (deployment, usage); we
      // wait a little longer so that report, not our own timer, ends the request.
      // The request's own timeout, else its model group's, else router_settings.timeout.
      const timeoutMs = summary.timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(
        () =>
          fail(
            Errors.timeout(
              `The model did not answer within ${Math.round(timeoutMs / 1000)} s (${summary.timeoutMs === undefined ? 'router_settings.timeout' : "the request's timeout"}). Retry, or raise the timeout.`,
            ),
          ),
        timeoutMs + FrameRelay.TIMEOUT_GRACE_MS,
      );
      /** Writes the whole (or last piece of the) non-streamed answer and ends the request. */
      const respond = (msg: Msg, attempt: number): void => {
        const meta = parseMeta(msg);
        if (res.headersSent) {
          res.end(msg.data);
        } else {
          outcome.firstByteAt = performance.now();
          res.writeHead(200, {
            'content-type': codec.jsonContentType,
            'content-length': msg.data.length,
            'x-request-id': requestId,
            ...this.routes.ofMeta(meta, attempt),
            // USD, as priced by the translator; absent when the model has no known price.
            ...(Number.isSafeInteger(meta?.costNanos) &&
              meta!.costNanos! >= 0 && { 'x-switchyard-cost': usdText(meta!.costNanos!) }),
          });
          res.end(msg.data);
        }
        finish(200, { meta });
      };
      const onFrame = (msg: Msg): Promise<void> | void => {
        if (isNoResponders(msg)) {
          fail(Errors.unavailable('No router service is running to take this request. Start apps/router and retry.'));
          return;
        }
        const kind = frameKind(msg);
        const attempt = frameAttempt(msg);
        // Frames of an attempt other than the one that committed are never the client's (an attempt the
        // router gave up on may still be sending). Errors before any commit come from the router.
        if (committed === 0) {
          if (kind === 'chunk' || kind === 'part' || kind === 'response' || kind === 'done') committed = attempt;
        } else if (attempt !== committed) {
          return;
        }
        switch (kind) {
          case 'chunk':
            if (!streaming) {
              streaming = true;
              outcome.firstByteAt = performance.now();
              if (!res.headersSent)
                res.writeHead(200, {
                  ...codec.streamHeaders,
                  'x-request-id': requestId,
                  ...this.routes.ofFrame(msg, attempt),
                });
            }
            {
              const hold = tap?.chunk(msg.data);
              if (hold !== undefined) {
                if (hold.at > 0) write(msg.data.subarray(0, hold.at));
                return hold.done.then(() => write(msg.data.subarray(hold.at)));
              }
            }
            write(msg.data);
            return;
          case 'done': {
            const meta = parseMeta(msg);
            if (!res.headersSent)
              res.writeHead(200, {
                ...codec.streamHeaders,
                'x-request-id': requestId,
                ...this.routes.ofMeta(meta, attempt),
              });
            streaming = true;
            res.end(codec.terminator);
            finish(200, { meta });
            return;
          }
          case 'part':
            // A leading piece of an answer too large for one NATS message: sent on as it comes, chunked.
            if (!res.headersSent) {
              outcome.firstByteAt = performance.now();
              res.writeHead(200, {
                'content-type': codec.jsonContentType,
                'x-request-id': requestId,
                ...this.routes.ofFrame(msg, attempt),
              });
            }
            tap?.part(msg.data);
            write(msg.data);
            return;
          case 'response': {
            const hold = tap?.response(msg.data);
            if (hold !== undefined) return hold.then(() => respond(msg, attempt));
            return respond(msg, attempt);
          }
          case 'error': {
            const meta = parseMeta(msg);
            const error = readErrorFrame(msg, meta);
            if (!streaming && !res.headersSent) {
              writeError(res, error, requestId, codec, this.routes.ofMeta(meta, attempt));
              finish(error.status, { meta, errorType: outcome.errorType ?? meta?.errorType ?? error.type });
            } else {
              fail(error, meta);
            }
            return;
          }
          default:
            this.logger.warn(`request ${requestId}: ignoring a frame of unknown kind`);
        }
      };

      const unrelayable = (e: unknown) => {
        // A frame we cannot relay (it breaks the protocol): end this request, never the connection.
        this.logger.error(`request ${requestId}: could not relay a frame: ${(e as Error).message}`);
        fail(Errors.upstreamFailed('The answer could not be relayed. Retry the request.'));
      };
      /** Relays one frame; a promise when a tap holds it. */
      const relayFrame = (msg: Msg): Promise<void> | undefined => {
        try {
          return onFrame(msg)?.catch(unrelayable);
        } catch (e) {
          unrelayable(e);
          return undefined;
        }
      };
      let gate: Promise<void> | undefined;

      // A client that goes away (or was cut off for not reading): the translator stops the upstream call,
      // and we keep listening until it reports the tokens used so far, so the request is still billed and
      // recorded (status 499).
      res.on('close', () => {
        if (res.writableFinished || finished) return;
        outcome.errorType ??= 'client_disconnected';
        cancelUpstream();
      });

      if (this.linkDown) {
        fail(Errors.unavailable('The gateway lost its connection to the message bus. Retry in a moment.'));
        return;
      }
      replies.subscription = this.client
        .send(Commands.routeRequest, {
          data: raw,
          headers: natsHeaders({
            [H.requestId]: requestId,
            [H.model]: summary.model,
            [H.stream]: summary.stream ? '1' : '0',
            [H.clientApi]: codec.api,
            [H.timeoutMs]: String(timeoutMs),
            [H.summary]: encodeSummary(summary),
          }),
        })
        .subscribe({
          next: (msg: Msg) => {
            if (finished) return;
            // A tap holding a frame holds every frame after it too, in order.
            if (gate !== undefined) gate = gate.then(() => (finished ? undefined : relayFrame(msg)));
            else gate = relayFrame(msg);
          },
          error: (e: Error) => {
            // Closed or draining connection (the body limit already keeps bodies under max_payload).
            this.logger.error(`request ${requestId}: could not hand the request to NATS: ${e.message}`);
            fail(Errors.unavailable('The gateway lost its connection to the message bus. Retry in a moment.'));
          },
        });
      if (finished) replies.subscription.unsubscribe();
    });
  }
}
