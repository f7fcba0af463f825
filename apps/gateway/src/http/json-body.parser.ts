import type { FastifyInstance } from 'fastify';
import { tooDeepAt } from '@switchyard/contracts';

/**
 * Objects and arrays nest at most this deep in a request body (the body itself is level 1). JSON.parse builds
 * any depth, but the services downstream re-serialise parts of the body (JSON.stringify recurses, and
 * overflows the stack near 10,000 levels); no API request needs more than a few dozen.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * Parses every request body as JSON whatever its content type (curl -d sends form encoding), and keeps
 * the raw bytes: the router and translator receive them as they came, never re-serialised here.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
    const buf = body as Buffer;
    (req as unknown as { rawBody: Buffer }).rawBody = buf;
    if (buf.length === 0) return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      const err = Object.assign(
        new Error(
          `We could not parse the JSON body of your request: ${(e as Error).message}. Send valid JSON with Content-Type: application/json.`,
        ),
        {
          statusCode: 400,
        },
      );
      return done(err, undefined);
    }
    const deep = tooDeepAt(value, MAX_BODY_DEPTH);
    if (deep) {
      const param = deep.length > 0 ? String(deep[0]) : null;
      const err = Object.assign(
        new Error(
          `The request body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels${param === null ? '' : ` (in '${param}')`}. Flatten it.`,
        ),
        { statusCode: 400, param },
      );
      return done(err, undefined);
    }
    done(null, value);
  });
}
