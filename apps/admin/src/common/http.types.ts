/** The few Express request/response members we use (the project does not ship @types/express). */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Path parameters, query and parsed JSON body, as Express gives them to the handler. */
  params?: unknown;
  query?: unknown;
  body?: unknown;
}

export interface HttpResponse {
  headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  status(code: number): HttpResponse;
  json(body: unknown): HttpResponse;
}
