/**
 * Loose typing for libpg-query's JSON parse tree. Nodes are `{ Kind: {...} }`
 * objects; the planner reads and rewrites them in place.
 */

/** A parse-tree node: `{ SelectStmt: {...} }`, `{ ColumnRef: {...} }`… */
// biome-ignore lint/suspicious/noExplicitAny: the parse tree is JSON of many shapes.
export type AstNode = Record<string, any>;

/** The kind of a node (`SelectStmt`) and its body. */
export function nodeKind(node: AstNode): [string, AstNode] {
  const key = Object.keys(node)[0]!;
  return [key, node[key]];
}

/** The string of a `{ String: { sval } }` node. */
export function str(node: AstNode | undefined): string | undefined {
  return node?.String?.sval;
}

/** A deep copy of a node (parse trees are plain JSON). */
export function cloneAst<T>(node: T): T {
  return structuredClone(node);
}

/** Calls `visit` for every object in the tree (pre-order); return `false` to skip a node's children. */
export function walkAst(
  node: unknown,
  visit: (node: AstNode, key: string | undefined) => boolean | undefined,
  key?: string,
): void {
  if (node === null || typeof node !== 'object') return;
  // Every planning pass walks the whole tree, so this loop is hot on long statements
  // (a 1 MB VALUES list is a million objects): no per-node allocation, no calls for scalars.
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (item !== null && typeof item === 'object') walkAst(item, visit, key);
    }
    return;
  }
  if (visit(node as AstNode, key) === false) return;
  const keys = Object.keys(node);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const value: unknown = (node as AstNode)[k];
    if (value !== null && typeof value === 'object') walkAst(value, visit, k);
  }
}
