import { AsyncLocalStorage } from 'node:async_hooks';
import type { Caller } from './caller';

/** What the admin knows about the request being served: its caller, once the guard has resolved it. */
export interface RequestState {
  caller?: Caller;
}

const storage = new AsyncLocalStorage<RequestState>();

/**
 * Express middleware: every request runs in a state of its own, so services deep below the controller (the audit
 * log) read who is calling without every signature carrying it.
 */
export function requestContext(_req: unknown, _res: unknown, next: () => void): void {
  storage.run({}, next);
}

/** The current request's state; outside a request (boot, jobs) an empty one. */
export function currentRequest(): RequestState {
  return storage.getStore() ?? {};
}
