import { randomUUID } from 'node:crypto';

/** The id a request is known by in responses (`x-request-id`), usage events and logs. */
export function newRequestId(): string {
  return `req_${randomUUID().replace(/-/g, '')}`;
}
