/**
 * Cypher `$name` parameters in the compiled SQL: either bound parameters
 * (`$1`, `$2`… with the values returned beside the SQL) or literals quoted by
 * {@link quoteLiteral} — never user text pasted into SQL.
 */
import { invalidCypher } from '../errors.js';
import { quoteLiteral } from './sql-text.js';

/** A parameter value the compiler accepts. */
export type CypherParamValue = string | number | bigint | boolean | null | readonly CypherParamValue[];

/** How `$name` parameters appear in the SQL. */
export type ParamStyle = 'bound' | 'inline';

/** A value as a SQL literal. */
export function sqlLiteral(value: unknown, where: string, position?: number): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteLiteral(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidCypher(`${where} is not a finite number`, position, '22023');
    // Integers stay integers; other numbers are written so PostgreSQL reads them as numeric/double.
    return Number.isInteger(value)
      ? value.toString()
      : `CAST(${quoteLiteral(value.toString())} AS DOUBLE PRECISION)`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0)
      throw invalidCypher(`${where} is an empty list where a value is needed`, position, '22023');
    return `ARRAY[${value.map((v, i) => sqlLiteral(v, `${where}[${i}]`, position)).join(', ')}]`;
  }
  throw invalidCypher(
    `${where} must be a string, number, boolean, null or a list of them`,
    position,
    '22023',
  );
}

/** The parameters of one compilation. */
export class Parameters {
  /** Bound values, `$1` first (style `bound`). */
  readonly bound: unknown[] = [];
  readonly #slots = new Map<string, number>();

  constructor(
    readonly values: Readonly<Record<string, unknown>>,
    readonly style: ParamStyle,
  ) {}

  value(name: string, position: number): unknown {
    if (!Object.hasOwn(this.values, name))
      throw invalidCypher(`no value given for parameter $${name}`, position, '42P02');
    return this.values[name];
  }

  /** `$name` as one SQL value. */
  scalar(name: string, position: number): string {
    const value = this.value(name, position);
    if (this.style === 'inline' || Array.isArray(value)) return sqlLiteral(value, `$${name}`, position);
    sqlLiteral(value, `$${name}`, position); // validates the type
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      this.bound.push(value);
      slot = this.bound.length;
      this.#slots.set(name, slot);
    }
    return `$${slot}`;
  }

  /** `$name` holding a list, as the items of an `IN (…)`; empty when the list is. */
  list(name: string, position: number): string[] {
    const value = this.value(name, position);
    if (!Array.isArray(value)) throw invalidCypher(`$${name} must be a list for IN`, position, '22023');
    return value.map((v, i) => {
      if (this.style === 'inline' || Array.isArray(v)) return sqlLiteral(v, `$${name}[${i}]`, position);
      sqlLiteral(v, `$${name}[${i}]`, position);
      this.bound.push(v);
      return `$${this.bound.length}`;
    });
  }
}
