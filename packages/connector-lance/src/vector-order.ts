import { arrow, type DataType, ErrorCode, type Schema, type SortKey, SpokeError } from '@spoke/core';

/** The IR's vector distance functions and the Lance metric each one uses. */
export const DISTANCE_METRICS = {
  l2_distance: 'l2',
  cosine_distance: 'cosine',
  negative_inner_product: 'dot',
} as const;

/** A vector distance function of the IR (`<->`, `<=>`, `<#>`). */
export type DistanceFunction = keyof typeof DISTANCE_METRICS;

/** A Lance distance type. */
export type LanceMetric = (typeof DISTANCE_METRICS)[DistanceFunction];

/** `ORDER BY distance(column, [..]) ASC`, taken apart. */
export interface VectorOrder {
  readonly fn: DistanceFunction;
  readonly metric: LanceMetric;
  readonly column: string;
  readonly vector: Float32Array;
}

/**
 * The vector search a sort key asks for, or `undefined` when the key is not
 * `distance(vector column, literal vector) ASC` (a descending distance order
 * is "farthest first", which Lance cannot search for).
 */
export function asVectorOrder(key: SortKey, schema: Schema): VectorOrder | undefined {
  const e = key.expr;
  if (e.kind !== 'function' || !(e.name in DISTANCE_METRICS) || key.direction !== 'asc') return undefined;
  const [column, literal] = e.args;
  if (column?.kind !== 'column' || literal?.kind !== 'literal' || !Array.isArray(literal.value))
    return undefined;
  const field = schema.fields.find((f) => f.name === column.name);
  const dimension = field && vectorDimension(field.type as DataType);
  if (dimension === undefined) return undefined;
  const values = literal.value as readonly unknown[];
  if (values.length !== dimension) {
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `different vector dimensions ${dimension} and ${values.length}: column "${column.name}" holds ${dimension}-dimensional vectors`,
    );
  }
  const vector = new Float32Array(dimension);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'a query vector must hold finite numbers');
    vector[i] = v;
  });
  const fn = e.name as DistanceFunction;
  return { fn, metric: DISTANCE_METRICS[fn], column: column.name, vector };
}

/** The dimension of a fixed-size-list-of-floats column, or `undefined` for any other type. */
export function vectorDimension(type: DataType): number | undefined {
  if (type.typeId !== arrow.Type.FixedSizeList) return undefined;
  const { listSize, children } = type as unknown as { listSize: number; children: { type: DataType }[] };
  return children[0]?.type.typeId === arrow.Type.Float ? listSize : undefined;
}

/**
 * Converts Lance's `_distance` to the value of the SQL operator, so that it
 * equals what DuckDB (and pgvector) compute: Lance's `l2` is the *squared*
 * Euclidean distance, and its `dot` distance is `1 - a·b` where `<#>` is `-a·b`.
 * Cosine distance (`1 - cos`) is the same on both sides.
 */
export function toSqlDistance(fn: DistanceFunction, lanceDistance: number): number {
  switch (fn) {
    case 'l2_distance':
      return Math.sqrt(Math.max(0, lanceDistance));
    case 'cosine_distance':
      return lanceDistance;
    case 'negative_inner_product':
      return lanceDistance - 1;
  }
}
