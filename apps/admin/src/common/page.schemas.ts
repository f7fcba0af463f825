import { z } from 'zod';

/** Paging of list routes, as GET /v1/audit pages: newest first, `cursor` = the previous page's next_cursor. */
export const PageQuerySchema = {
  cursor: z.string().min(1).max(256).optional().describe('next_cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

/** A page of `item`s and the cursor of the next (older) page, null on the last. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('pass as `cursor` for the next (older) page; null on the last'),
  });
}

/** Cuts the `limit + 1` rows a repository returned into a page and the cursor of the next one. */
export function toPage<R, J>(rows: R[], limit: number, json: (r: R) => J, cursorOf: (r: R) => string) {
  const page = rows.slice(0, limit);
  return { data: page.map(json), next_cursor: rows.length > limit ? cursorOf(page.at(-1)!) : null };
}
