import { Errors, errorBody } from '@switchyard/contracts';

interface Req {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}
interface Res {
  status(code: number): { json(body: unknown): unknown };
}

/**
 * A body sent with another Content-Type would reach the handlers as "no body" and, with every field
 * optional, create something the caller did not describe. Refuse it instead.
 */
export function requireJsonBody(req: Req, res: Res, next: () => void): void {
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (hasBody && !/^application\/([\w.+-]+\+)?json\b/i.test(type.trim())) {
    res.status(415).json(
      errorBody({
        ...Errors.invalidRequest(
          'Send the request body as JSON with Content-Type: application/json.',
          null,
          'unsupported_media_type',
        ),
      }),
    );
    return;
  }
  next();
}
