/**
 * How deeply a parse tree nests. Every pass over the tree (binding, policy
 * rewrite, push-down, deparsing) recurses, and DuckDB refuses expressions
 * deeper than 1000; a statement nested deeper than {@link MAX_PARSE_DEPTH}
 * is refused right after parsing with PostgreSQL's "stack depth limit
 * exceeded" (SQLSTATE 54001) rather than failing somewhere later with a
 * JavaScript stack overflow or a DuckDB parser message.
 *
 * No imports: the parser's worker thread loads this file too, and should
 * start without loading the rest of Spoke.
 */
/** The deepest nesting of parse-tree nodes accepted. */
export const MAX_PARSE_DEPTH = 1000;

/**
 * The number of nested parse-tree nodes (`{ Kind: {...} }` objects) on the
 * deepest path of `tree`, counting no further than `limit + 1`. Iterative, so
 * it cannot overflow the stack it protects.
 */
export function parseTreeDepth(tree: unknown, limit = MAX_PARSE_DEPTH): number {
  let deepest = 0;
  const stack: [value: unknown, depth: number][] = [[tree, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth]);
      continue;
    }
    let here = depth;
    // A node is an object with one key naming its kind (capitalised); its body's fields are not nodes.
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const first = keys[0]!.charCodeAt(0);
      if (first >= 65 && first <= 90) here = depth + 1;
    }
    if (here > deepest) {
      deepest = here;
      if (deepest > limit) return deepest;
    }
    for (const key of keys) stack.push([(value as Record<string, unknown>)[key], here]);
  }
  return deepest;
}
