/**
 * Where a parsed JSON value nests deeper than `maxDepth` objects or arrays (the top-level value is depth 1):
 * the path from the top to the first container past the limit, or undefined. Iterative, so a hostile
 * value (JSON.parse happily builds 100,000 levels) cannot overflow the stack here; later recursive code
 * (JSON.stringify, schema checks) is safe once a value has passed.
 */
export function tooDeepAt(value: unknown, maxDepth: number): (string | number)[] | undefined {
  if (!isContainer(value)) return undefined;
  const stack: { value: object; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (path.length >= maxDepth) return path;
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((v, i): [number, unknown] => [i, v])
      : Object.entries(node);
    for (const [k, v] of entries) if (isContainer(v)) stack.push({ value: v, path: [...path, k] });
  }
  return undefined;
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}
