import { FrameDecodeError, type AwsEventStreamMessage, type AwsHeaderValue } from './framing.types';

/**
 * One AWS event stream message read with the conventions of AWS services (Bedrock among them):
 * `:message-type` says whether it is an event, a modelled exception or a transport error, and the
 * matching header names which one.
 */
export type AwsServiceMessage =
  | { messageType: 'event'; eventType: string; contentType: string | undefined; payload: Uint8Array }
  /** A modelled error (`throttlingException`, `validationException`, ...); the payload holds its JSON body. */
  | { messageType: 'exception'; exceptionType: string; contentType: string | undefined; payload: Uint8Array }
  /** A service error outside the model: `:error-code` and `:error-message` headers. */
  | { messageType: 'error'; errorCode: string; errorMessage: string; payload: Uint8Array };

function stringHeader(headers: Record<string, AwsHeaderValue>, name: string): string | undefined {
  const h = headers[name];
  return h !== undefined && h.type === 'string' ? h.value : undefined;
}

function missing(what: string): FrameDecodeError {
  return new FrameDecodeError('aws-eventstream', 'invalid_frame', `AWS event stream message without ${what}.`);
}

/** Reads `:message-type`, `:event-type`, `:exception-type` and `:content-type`; throws a FrameDecodeError if they are unusable. */
export function readAwsServiceMessage(message: AwsEventStreamMessage): AwsServiceMessage {
  const { headers, payload } = message;
  const messageType = stringHeader(headers, ':message-type');
  const contentType = stringHeader(headers, ':content-type');
  switch (messageType) {
    case 'event': {
      const eventType = stringHeader(headers, ':event-type');
      if (eventType === undefined) throw missing('an :event-type header');
      return { messageType, eventType, contentType, payload };
    }
    case 'exception': {
      const exceptionType = stringHeader(headers, ':exception-type');
      if (exceptionType === undefined) throw missing('an :exception-type header');
      return { messageType, exceptionType, contentType, payload };
    }
    case 'error':
      return {
        messageType,
        errorCode: stringHeader(headers, ':error-code') ?? 'UnknownError',
        errorMessage: stringHeader(headers, ':error-message') ?? '',
        payload,
      };
    default:
      throw missing(messageType === undefined ? 'a :message-type header' : `a known :message-type ("${messageType}")`);
  }
}
