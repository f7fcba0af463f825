import type { FastifyInstance } from 'fastify';

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
    try {
      done(null, JSON.parse(buf.toString('utf8')));
    } catch (e) {
      const err = Object.assign(
        new Error(
          `We could not parse the JSON body of your request: ${(e as Error).message}. Send valid JSON with Content-Type: application/json.`,
        ),
        {
          statusCode: 400,
        },
      );
      done(err, undefined);
    }
  });
}
