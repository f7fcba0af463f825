import type { GatewayError } from '@switchyard/contracts';

/** An error with its HTTP status and OpenAI envelope fields, raised by services and mapped by ApiExceptionFilter. */
export class ApiException extends Error {
  constructor(readonly error: GatewayError) {
    super(error.message);
  }
}
