/**
 * Everything user SQL may call, on one page: the functions, table functions
 * and operators the binder lets through to the residual DuckDB and the
 * system catalog (`check-callables.ts` enforces it). An allow-list, not a
 * deny-list: DuckDB has hundreds of functions, some of which read files
 * (`read_text`, `read_blob`, `glob`), run SQL (`query`, `query_table`), or
 * expose the engine (`duckdb_settings()`, `current_setting('temp_directory')`,
 * `current_query()`, which would show the policy-rewritten SQL with its mask
 * salts). Anything not listed here does not exist for a user; adding a name
 * is a security review, and `docs/sql-functions.md` is generated from this
 * file (`node --import tsx packages/planner/scripts/sql-functions-doc.ts`).
 *
 * What is listed: PostgreSQL's standard functions in the spelling DuckDB
 * runs with PostgreSQL's meaning, the system functions PostgreSQL clients
 * send in start-up and metadata queries (answered by Spoke's system catalog),
 * Spoke's extensions, and a few DuckDB functions queries here already rely on.
 * Every entry's example runs in a test (`test/allowed-functions.test.ts`),
 * which also checks each name and arity against DuckDB's own catalog.
 */

/** Where a callable may appear and how it is called. */
export type CallableKind =
  /** An expression: select list, WHERE, ORDER BY, arguments… */
  | 'scalar'
  /** With GROUP BY (or alone), with DISTINCT / ORDER BY / FILTER, or as a window with OVER. */
  | 'aggregate'
  /** `f(args) WITHIN GROUP (ORDER BY x)`. */
  | 'ordered-set'
  /** Only with OVER. */
  | 'window'
  /** In an expression, returning rows (`SELECT unnest(a)`). */
  | 'set-returning'
  /** Only as a FROM item (`FROM generate_series(1, 3)`), ROWS FROM and WITH ORDINALITY included. */
  | 'table';

/** One function the user may call. */
export interface AllowedCallable {
  /** The name as PostgreSQL's parser produces it (lower case); also accepted qualified with `pg_catalog.`. */
  readonly name: string;
  readonly kind: CallableKind;
  /** Accepted argument counts: `'1'`, `'1-3'`, `'1|3'` (one or three), `'2+'` (two or more). */
  readonly args: string;
  /** A call that runs (aggregates and windows over `t(i integer, x double precision, s text)`). */
  readonly example: string;
  /** Only through this SQL syntax, whose grammar produces the call (`TRIM(…)` → `pg_catalog.btrim`). */
  readonly syntax?: string;
  /** The one schema it may be qualified with instead of `pg_catalog` (`information_schema._pg_expandarray`). */
  readonly schema?: string;
  /** Answered by the system catalog only: in queries without source tables, as clients send them. */
  readonly catalogOnly?: boolean;
  /** Rewritten by Spoke, never sent to DuckDB as a call. */
  readonly spoke?: boolean;
  /** A short remark for the documentation. */
  readonly note?: string;
}

/** A titled group of callables (one section of the documentation). */
export interface CallableGroup {
  readonly title: string;
  readonly about: string;
  readonly callables: readonly AllowedCallable[];
}

/** One operator the user may write (also as `OPERATOR(pg_catalog.op)`). */
export interface AllowedOperator {
  readonly operator: string;
  readonly example: string;
  readonly about: string;
}

type Options = Omit<AllowedCallable, 'name' | 'kind' | 'args' | 'example'> & { readonly kind?: CallableKind };
type Row = readonly [name: string, args: string, example: string, options?: Options];

function group(title: string, kind: CallableKind, about: string, rows: readonly Row[]): CallableGroup {
  return {
    title,
    about,
    callables: rows.map(([name, args, example, options]) => ({ name, kind, args, example, ...options })),
  };
}

const CATALOG: Options = { catalogOnly: true };

/** Every function and table function user SQL may call, grouped as the documentation shows them. */
export const ALLOWED_CALLABLES: readonly CallableGroup[] = [
  group('Strings', 'scalar', 'PostgreSQL string functions.', [
    ['ascii', '1', "ascii('A')"],
    ['bit_length', '1', "bit_length('abc')"],
    ['btrim', '1-2', "TRIM(BOTH 'x' FROM 'xxaxx')", { syntax: 'TRIM([BOTH] [chars] FROM text)' }],
    ['char_length', '1', "char_length('abc')"],
    ['character_length', '1', "character_length('abc')"],
    ['chr', '1', 'chr(65)'],
    ['concat', '1+', "concat('a', 1, NULL, 'b')"],
    ['concat_ws', '2+', "concat_ws(', ', 'a', 'b')"],
    ['left', '2', "left('abcde', 2)"],
    ['length', '1', "length('abc')"],
    ['lower', '1', "lower('ABC')"],
    ['lpad', '3', "lpad('7', 3, '0')"],
    ['ltrim', '1-2', "ltrim('xxa', 'x')", { note: "also `TRIM(LEADING 'x' FROM s)`" }],
    ['md5', '1', "md5('abc')"],
    ['position', '2', "POSITION('b' IN 'abc')", { note: '`POSITION(sub IN s)`' }],
    ['repeat', '2', "repeat('ab', 3)"],
    ['replace', '3', "replace('a-b', '-', '+')"],
    ['reverse', '1', "reverse('abc')"],
    ['right', '2', "right('abcde', 2)"],
    ['rpad', '3', "rpad('7', 3, '0')"],
    ['rtrim', '1-2', "rtrim('axx', 'x')", { note: "also `TRIM(TRAILING 'x' FROM s)`" }],
    ['sha256', '1', "sha256('abc')"],
    ['split_part', '3', "split_part('a,b,c', ',', 2)"],
    ['starts_with', '2', "starts_with('abc', 'a')"],
    ['strpos', '2', "strpos('abc', 'c')"],
    ['substr', '2-3', "substr('abcdef', 2, 3)"],
    ['substring', '2-3', "substring('abcdef' FROM 2 FOR 3)", { note: 'also `substring(s, start[, count])`' }],
    ['to_hex', '1', 'to_hex(255)'],
    ['translate', '3', "translate('abc', 'b', 'x')"],
    ['upper', '1', "upper('abc')"],
  ]),
  group('Pattern matching', 'scalar', 'Regular expressions; `LIKE`, `ILIKE` and the operators below.', [
    ['regexp_replace', '3-4', "regexp_replace('a-b-c', '-', '+', 'g')"],
    ['regexp_split_to_array', '2-3', "regexp_split_to_array('a1b2c', '[0-9]')"],
    [
      'regexp_split_to_table',
      '2',
      "regexp_split_to_table('a1b2c', '[0-9]')",
      { kind: 'set-returning', note: 'in the select list' },
    ],
  ]),
  group('Math', 'scalar', 'PostgreSQL mathematical functions.', [
    ['abs', '1', 'abs(-2)'],
    ['acos', '1', 'acos(1)'],
    ['acosh', '1', 'acosh(1)'],
    ['asin', '1', 'asin(1)'],
    ['asinh', '1', 'asinh(1)'],
    ['atan', '1', 'atan(1)'],
    ['atan2', '2', 'atan2(1, 1)'],
    ['atanh', '1', 'atanh(0.5)'],
    ['cbrt', '1', 'cbrt(27)'],
    ['ceil', '1', 'ceil(1.2)'],
    ['ceiling', '1', 'ceiling(1.2)'],
    ['cos', '1', 'cos(0)'],
    ['cosh', '1', 'cosh(0)'],
    ['cot', '1', 'cot(1)'],
    ['degrees', '1', 'degrees(pi())'],
    ['exp', '1', 'exp(1)'],
    ['factorial', '1', 'factorial(5)'],
    ['floor', '1', 'floor(1.8)'],
    ['gcd', '2', 'gcd(12, 18)'],
    ['lcm', '2', 'lcm(4, 6)'],
    ['ln', '1', 'ln(2)'],
    ['log', '1-2', 'log(2, 8)', { note: 'one argument: base 10' }],
    ['log10', '1', 'log10(100)'],
    ['mod', '2', 'mod(7, 3)'],
    ['pi', '0', 'pi()'],
    ['pow', '2', 'pow(2, 10)'],
    ['power', '2', 'power(2, 10)'],
    ['radians', '1', 'radians(180)'],
    ['random', '0', 'random()', { note: 'volatile: never pushed to a source' }],
    ['round', '1-2', 'round(2.345, 2)'],
    ['sign', '1', 'sign(-3)'],
    ['sin', '1', 'sin(0)'],
    ['sinh', '1', 'sinh(0)'],
    ['sqrt', '1', 'sqrt(16)'],
    ['tan', '1', 'tan(0)'],
    ['tanh', '1', 'tanh(0)'],
    ['trunc', '1-2', 'trunc(2.345, 1)'],
  ]),
  group(
    'Date and time',
    'scalar',
    '`CURRENT_DATE`, `CURRENT_TIMESTAMP`, `LOCALTIMESTAMP`… are SQL syntax and always accepted.',
    [
      ['age', '1-2', "age(TIMESTAMP '2024-03-01', TIMESTAMP '2023-01-01')"],
      ['date_part', '2', "date_part('year', DATE '2024-05-06')"],
      ['date_trunc', '2', "date_trunc('month', DATE '2024-05-06')"],
      ['extract', '2', "EXTRACT(YEAR FROM DATE '2024-05-06')", { syntax: 'EXTRACT(field FROM source)' }],
      ['isfinite', '1', "isfinite(DATE '2024-05-06')"],
      ['make_date', '3', 'make_date(2024, 5, 6)'],
      ['make_time', '3', 'make_time(12, 30, 0)'],
      ['make_timestamp', '6', 'make_timestamp(2024, 5, 6, 12, 30, 0)'],
      ['make_timestamptz', '6-7', "make_timestamptz(2024, 5, 6, 12, 30, 0, 'UTC')"],
      ['now', '0', 'now()'],
      [
        'timezone',
        '2',
        "TIMESTAMPTZ '2024-05-06 12:00:00+02' AT TIME ZONE 'UTC'",
        { note: "also `timezone('UTC', ts)`" },
      ],
      ['to_timestamp', '1', 'to_timestamp(1700000000)', { note: 'seconds since the epoch' }],
      ['transaction_timestamp', '0', 'transaction_timestamp()'],
    ],
  ),
  group('Arrays', 'scalar', '`ARRAY[…]`, `ARRAY(SELECT …)`, `a[i]`, `= ANY(a)` are SQL syntax.', [
    ['array_append', '2', 'array_append(ARRAY[1, 2], 3)'],
    ['array_cat', '2', 'array_cat(ARRAY[1], ARRAY[2, 3])'],
    ['array_length', '2', 'array_length(ARRAY[1, 2, 3], 1)'],
    ['array_position', '2', 'array_position(ARRAY[5, 6], 6)'],
    ['array_prepend', '2', 'array_prepend(0, ARRAY[1, 2])'],
    ['array_to_string', '2', "array_to_string(ARRAY[1, 2], ',')"],
    [
      'generate_subscripts',
      '2',
      'generate_subscripts(ARRAY[5, 6], 1)',
      { kind: 'set-returning', note: 'in the select list' },
    ],
    ['string_to_array', '2', "string_to_array('a,b', ',')"],
    ['unnest', '1', 'unnest(ARRAY[1, 2])', { kind: 'set-returning' }],
  ]),
  group('JSON', 'scalar', 'The `->` and `->>` operators and these functions, on `json` values.', [
    ['array_to_json', '1', 'array_to_json(ARRAY[1, 2])'],
    ['json_array_length', '1', "json_array_length('[1, 2]'::json)"],
    ['json_extract_path', '2', 'json_extract_path(\'{"a": {"b": 1}}\'::json, \'a\')'],
    ['json_extract_path_text', '2', 'json_extract_path_text(\'{"a": "x"}\'::json, \'a\')'],
    ['row_to_json', '1', "row_to_json(ROW(1, 'a'))"],
    ['to_json', '1', "to_json('a'::text)"],
  ]),
  group(
    'Aggregates',
    'aggregate',
    'With `DISTINCT`, `ORDER BY` inside the call, `FILTER (WHERE …)` and `OVER (…)` as PostgreSQL allows; `count(*)`.',
    [
      ['any_value', '1', 'any_value(s)'],
      ['array_agg', '1', 'array_agg(i ORDER BY i DESC)'],
      ['avg', '1', 'avg(x)'],
      ['bit_and', '1', 'bit_and(i)'],
      ['bit_or', '1', 'bit_or(i)'],
      ['bit_xor', '1', 'bit_xor(i)'],
      ['bool_and', '1', 'bool_and(i > 0)'],
      ['bool_or', '1', 'bool_or(i > 2)'],
      ['corr', '2', 'corr(x, i)'],
      ['count', '1', 'count(DISTINCT s) FILTER (WHERE i > 1)', { note: 'and `count(*)`' }],
      ['covar_pop', '2', 'covar_pop(x, i)'],
      ['covar_samp', '2', 'covar_samp(x, i)'],
      ['max', '1', 'max(x)'],
      ['min', '1', 'min(s)'],
      ['regr_avgx', '2', 'regr_avgx(x, i)'],
      ['regr_avgy', '2', 'regr_avgy(x, i)'],
      ['regr_count', '2', 'regr_count(x, i)'],
      ['regr_intercept', '2', 'regr_intercept(x, i)'],
      ['regr_r2', '2', 'regr_r2(x, i)'],
      ['regr_slope', '2', 'regr_slope(x, i)'],
      ['regr_sxx', '2', 'regr_sxx(x, i)'],
      ['regr_sxy', '2', 'regr_sxy(x, i)'],
      ['regr_syy', '2', 'regr_syy(x, i)'],
      ['stddev', '1', 'stddev(x)'],
      ['stddev_pop', '1', 'stddev_pop(x)'],
      ['stddev_samp', '1', 'stddev_samp(x)'],
      ['string_agg', '2', "string_agg(s, ',' ORDER BY s)"],
      ['sum', '1', 'sum(i)'],
      ['var_pop', '1', 'var_pop(x)'],
      ['var_samp', '1', 'var_samp(x)'],
      ['variance', '1', 'variance(x)'],
    ],
  ),
  group('Ordered-set aggregates', 'ordered-set', 'Always with `WITHIN GROUP (ORDER BY …)`.', [
    ['mode', '0', 'mode() WITHIN GROUP (ORDER BY s)'],
    ['percentile_cont', '1', 'percentile_cont(0.5) WITHIN GROUP (ORDER BY x)'],
    ['percentile_disc', '1', 'percentile_disc(0.5) WITHIN GROUP (ORDER BY x)'],
  ]),
  group('Window functions', 'window', 'Always with `OVER (…)`; every aggregate works as a window too.', [
    ['cume_dist', '0', 'cume_dist() OVER (ORDER BY i)'],
    ['dense_rank', '0', 'dense_rank() OVER (ORDER BY s)'],
    ['first_value', '1', 'first_value(s) OVER (ORDER BY i)'],
    ['lag', '1-3', 'lag(i, 1, 0) OVER (ORDER BY i)'],
    ['last_value', '1', 'last_value(s) OVER (ORDER BY i)'],
    ['lead', '1-3', 'lead(i) OVER (ORDER BY i)'],
    ['nth_value', '2', 'nth_value(s, 2) OVER (ORDER BY i)'],
    ['ntile', '1', 'ntile(2) OVER (ORDER BY i)'],
    ['percent_rank', '0', 'percent_rank() OVER (ORDER BY i)'],
    ['rank', '0', 'rank() OVER (ORDER BY s)'],
    ['row_number', '0', 'row_number() OVER (PARTITION BY s ORDER BY i)'],
  ]),
  group('Table functions', 'table', 'FROM items, also in `ROWS FROM (…)`, `LATERAL` and `WITH ORDINALITY`.', [
    [
      'generate_series',
      '2-3',
      "generate_series(DATE '2024-01-01', DATE '2024-01-03', INTERVAL '1 day')",
      { note: 'numbers or timestamps' },
    ],
    ['unnest', '1', 'unnest(ARRAY[1, 2]) WITH ORDINALITY'],
  ]),
  group(
    'System information',
    'scalar',
    'What PostgreSQL clients ask when they connect. In a query without source tables the system catalog answers as PostgreSQL 15 would.',
    [
      [
        'current_setting',
        '1-2',
        "current_setting('server_version')",
        { ...CATALOG, note: 'only the settings Spoke reports in `pg_settings`, named by a constant' },
      ],
      [
        'set_config',
        '3',
        "set_config('application_name', 'etl', false)",
        {
          spoke: true,
          catalogOnly: true,
          note: "the session's settings, only in `SELECT set_config(…), current_setting(…)` alone; names as for `current_setting`",
        },
      ],
      ['current_database', '0', 'current_database()', CATALOG],
      ['current_schema', '0', 'current_schema()', CATALOG],
      ['current_schemas', '1', 'current_schemas(false)', CATALOG],
      ['gen_random_uuid', '0', 'gen_random_uuid()'],
      ['inet_client_addr', '0', 'inet_client_addr()'],
      ['inet_client_port', '0', 'inet_client_port()'],
      ['inet_server_addr', '0', 'inet_server_addr()'],
      ['inet_server_port', '0', 'inet_server_port()'],
      ['pg_backend_pid', '0', 'pg_backend_pid()', CATALOG],
      ['pg_conf_load_time', '0', 'pg_conf_load_time()'],
      ['pg_is_in_recovery', '0', 'pg_is_in_recovery()', CATALOG],
      ['pg_postmaster_start_time', '0', 'pg_postmaster_start_time()'],
      ['pg_typeof', '1', 'pg_typeof(1)'],
      ['txid_current', '0', 'txid_current()'],
      ['version', '0', 'version()', CATALOG],
    ],
  ),
  group(
    'System catalog functions',
    'scalar',
    "What psql's `\\d` commands, JDBC's `DatabaseMetaData` and other tools send with `pg_catalog` queries; answered by the system catalog (queries without source tables).",
    [
      [
        '_pg_expandarray',
        '1',
        'information_schema._pg_expandarray(ARRAY[3, 4])',
        {
          ...CATALOG,
          schema: 'information_schema',
        },
      ],
      ['array_lower', '2', 'array_lower(ARRAY[1, 2], 1)', CATALOG],
      ['array_upper', '2', 'array_upper(ARRAY[1, 2], 1)', CATALOG],
      ['col_description', '2', 'col_description(1259, 1)', CATALOG],
      ['format_type', '2', 'format_type(1700, 786438)', CATALOG],
      ['has_any_column_privilege', '2-3', "has_any_column_privilege('pg_class', 'SELECT')", CATALOG],
      ['has_column_privilege', '3-4', "has_column_privilege('pg_class', 'oid', 'SELECT')", CATALOG],
      ['has_database_privilege', '2-3', "has_database_privilege('spoke', 'CONNECT')", CATALOG],
      ['has_function_privilege', '2-3', "has_function_privilege('version()', 'EXECUTE')", CATALOG],
      ['has_schema_privilege', '2-3', "has_schema_privilege('public', 'USAGE')", CATALOG],
      ['has_sequence_privilege', '2-3', "has_sequence_privilege('s', 'USAGE')", CATALOG],
      ['has_table_privilege', '2-3', "has_table_privilege('pg_class', 'SELECT')", CATALOG],
      ['has_type_privilege', '2-3', "has_type_privilege('int4', 'USAGE')", CATALOG],
      [
        'json_build_object',
        '0|2|4|6|8|10|12|14|16',
        "json_build_object('start', 1, 'cycle', false)",
        { ...CATALOG, note: 'up to eight key/value pairs (SQLAlchemy reads identity columns with it)' },
      ],
      ['obj_description', '1-2', "obj_description(1259, 'pg_class')", CATALOG],
      ['pg_char_to_encoding', '1', "pg_char_to_encoding('UTF8')", CATALOG],
      ['pg_collation_is_visible', '1', 'pg_collation_is_visible(100)', CATALOG],
      ['pg_database_size', '1', "pg_database_size('spoke')", CATALOG],
      ['pg_encoding_to_char', '1', 'pg_encoding_to_char(6)', CATALOG],
      ['pg_function_is_visible', '1', 'pg_function_is_visible(1)', CATALOG],
      ['pg_get_constraintdef', '1-2', 'pg_get_constraintdef(1, true)', CATALOG],
      ['pg_get_expr', '2-3', "pg_get_expr('', 1259)", CATALOG],
      ['pg_get_function_arguments', '1', 'pg_get_function_arguments(1)', CATALOG],
      ['pg_get_function_identity_arguments', '1', 'pg_get_function_identity_arguments(1)', CATALOG],
      ['pg_get_function_result', '1', 'pg_get_function_result(1)', CATALOG],
      ['pg_get_functiondef', '1', 'pg_get_functiondef(1)', CATALOG],
      ['pg_get_indexdef', '1|3', 'pg_get_indexdef(1, 0, true)', CATALOG],
      ['pg_get_partkeydef', '1', 'pg_get_partkeydef(1259)', CATALOG],
      ['pg_get_ruledef', '1-2', 'pg_get_ruledef(1)', CATALOG],
      ['pg_get_serial_sequence', '2', "pg_get_serial_sequence('t', 'id')", CATALOG],
      ['pg_get_statisticsobjdef_columns', '1', 'pg_get_statisticsobjdef_columns(1)', CATALOG],
      ['pg_get_triggerdef', '1-2', 'pg_get_triggerdef(1)', CATALOG],
      ['pg_get_userbyid', '1', 'pg_get_userbyid(10)', CATALOG],
      ['pg_get_viewdef', '1-2', 'pg_get_viewdef(1, true)', CATALOG],
      ['pg_has_role', '2-3', "pg_has_role('spoke', 'USAGE')", CATALOG],
      ['pg_indexes_size', '1', 'pg_indexes_size(1259)', CATALOG],
      ['pg_relation_is_publishable', '1', 'pg_relation_is_publishable(1259)', CATALOG],
      ['pg_relation_size', '1-2', 'pg_relation_size(1259)', CATALOG],
      ['parse_ident', '1-2', 'parse_ident(\'crm."Big Table"\')', CATALOG],
      ['pg_size_pretty', '1', 'pg_size_pretty(1048576)', CATALOG],
      ['pg_table_is_visible', '1', 'pg_table_is_visible(1259)', CATALOG],
      ['pg_table_size', '1', 'pg_table_size(1259)', CATALOG],
      ['pg_total_relation_size', '1', 'pg_total_relation_size(1259)', CATALOG],
      ['pg_type_is_visible', '1', 'pg_type_is_visible(23)', CATALOG],
      ['quote_ident', '1', "quote_ident('Order')", CATALOG],
      [
        'string_to_array',
        '2',
        "string_to_array('\"$user\", public', ',') AS p, pg_catalog.pg_database",
        {
          ...CATALOG,
          kind: 'table',
          note: "as a FROM item beside the system catalog's relations: one row holding the array, as PostgreSQL answers it (Grafana's search-path query)",
        },
      ],
      ['shobj_description', '2', "shobj_description(5, 'pg_database')", CATALOG],
      ['to_regclass', '1', "to_regclass('pg_class')", CATALOG],
      ['to_regtype', '1', "to_regtype('integer')", CATALOG],
    ],
  ),
  group(
    'Spoke extensions',
    'scalar',
    'Besides the operators `<->`, `<=>`, `<#>` (vector distances) and `@@` (full-text match).',
    [
      [
        'rrf',
        '2',
        "rrf(embedding <-> $1, body @@ 'words')",
        {
          spoke: true,
          note: 'hybrid ranking: `ORDER BY rrf(…) DESC LIMIT k` on one table of a source with hybrid search (Lance)',
        },
      ],
    ],
  ),
  group(
    'DuckDB functions',
    'scalar',
    'DuckDB functions without a PostgreSQL equivalent that Spoke also accepts (the residual engine is DuckDB).',
    [
      ['arg_max', '2', 'arg_max(s, i)', { kind: 'aggregate' }],
      ['arg_min', '2', 'arg_min(s, i)', { kind: 'aggregate' }],
      ['epoch', '1', "epoch(TIMESTAMP '2024-01-01')", { note: 'seconds since the epoch' }],
      ['epoch_ms', '1', "epoch_ms(TIMESTAMP '2024-01-01')"],
      ['epoch_us', '1', "epoch_us(TIMESTAMP '2024-01-01')"],
      ['first', '1', 'first(s ORDER BY i)', { kind: 'aggregate' }],
      ['last', '1', 'last(s ORDER BY i)', { kind: 'aggregate' }],
      ['list', '1', 'list(i)', { kind: 'aggregate' }],
      ['median', '1', 'median(x)', { kind: 'aggregate' }],
      ['strftime', '2', "strftime(DATE '2024-05-06', '%d/%m/%Y')", { note: 'PostgreSQL: `to_char`' }],
      [
        'strptime',
        '2',
        "strptime('06/05/2024', '%d/%m/%Y')",
        { note: 'PostgreSQL: `to_timestamp(text, fmt)`' },
      ],
    ],
  ),
];

/**
 * The settings `current_setting()` may name: those Spoke's system catalog
 * reports in `pg_settings`. Anything else would be answered, in a query over
 * sources, by DuckDB's own settings (directories, limits).
 */
export const CURRENT_SETTINGS: readonly string[] = [
  'application_name',
  'block_size',
  'client_encoding',
  'DateStyle',
  'default_transaction_isolation',
  'extra_float_digits',
  'integer_datetimes',
  'IntervalStyle',
  'lc_collate',
  'lc_ctype',
  'max_identifier_length',
  'max_index_keys',
  'search_path',
  'server_encoding',
  'server_version',
  'server_version_num',
  'standard_conforming_strings',
  'statement_timeout',
  'TimeZone',
  'transaction_isolation',
  'transaction_read_only',
];

/** Every operator user SQL may write. `LIKE`, `IN`, `BETWEEN`, `IS DISTINCT FROM`… are SQL syntax. */
export const ALLOWED_OPERATORS: readonly AllowedOperator[] = [
  { operator: '+', example: '1 + 2', about: 'addition; unary plus' },
  { operator: '-', example: '3 - 1', about: 'subtraction; negation' },
  { operator: '*', example: '2 * 3', about: 'multiplication' },
  { operator: '/', example: '7 / 2', about: 'division (integer division truncates, as in PostgreSQL)' },
  { operator: '%', example: '7 % 3', about: 'modulo' },
  { operator: '^', example: '2 ^ 3', about: 'exponentiation' },
  { operator: '@', example: '@ -2', about: 'absolute value' },
  { operator: '&', example: '5 & 3', about: 'bitwise and' },
  { operator: '|', example: '5 | 3', about: 'bitwise or' },
  { operator: '<<', example: '1 << 2', about: 'shift left' },
  { operator: '>>', example: '8 >> 1', about: 'shift right' },
  { operator: '=', example: '1 = 1', about: 'equal' },
  { operator: '<>', example: '1 <> 2', about: 'not equal (also `!=`)' },
  { operator: '<', example: '1 < 2', about: 'less than' },
  { operator: '<=', example: '1 <= 2', about: 'less than or equal' },
  { operator: '>', example: '2 > 1', about: 'greater than' },
  { operator: '>=', example: '2 >= 1', about: 'greater than or equal' },
  { operator: '||', example: "'a' || 'b'", about: 'concatenation (strings, arrays)' },
  { operator: '~~', example: "'abc' ~~ 'a%'", about: 'LIKE' },
  { operator: '!~~', example: "'abc' !~~ 'x%'", about: 'NOT LIKE' },
  { operator: '~~*', example: "'abc' ~~* 'A%'", about: 'ILIKE' },
  { operator: '!~~*', example: "'abc' !~~* 'X%'", about: 'NOT ILIKE' },
  {
    operator: '~',
    example: "'abc' ~ 'a.c'",
    about:
      'regular expression match (over source tables DuckDB matches the whole string); bitwise not as a prefix',
  },
  { operator: '!~', example: "'abc' !~ 'x.*'", about: 'regular expression non-match' },
  { operator: '^@', example: "'abc' ^@ 'a'", about: 'starts with' },
  { operator: '@>', example: 'ARRAY[1, 2] @> ARRAY[1]', about: 'array contains' },
  { operator: '<@', example: 'ARRAY[1] <@ ARRAY[1, 2]', about: 'array is contained by' },
  { operator: '&&', example: 'ARRAY[1, 2] && ARRAY[2, 3]', about: 'arrays overlap' },
  { operator: '->', example: "'{\"a\": 1}'::json -> 'a'", about: 'JSON field' },
  { operator: '->>', example: "'{\"a\": 1}'::json ->> 'a'", about: 'JSON field as text' },
  { operator: '<->', example: "'[1, 2]' <-> '[2, 2]'", about: 'Spoke: L2 (Euclidean) vector distance' },
  { operator: '<=>', example: "'[1, 0]' <=> '[0, 1]'", about: 'Spoke: cosine vector distance' },
  { operator: '<#>', example: "'[1, 2]' <#> '[3, 4]'", about: 'Spoke: negative inner product' },
  {
    operator: '@@',
    example: "'Machine learning' @@ 'learning'",
    about: 'Spoke: full-text match (every word)',
  },
];

let byName: ReadonlyMap<string, readonly AllowedCallable[]> | undefined;

/** The entries for `name` (several when it is, say, both a set-returning and a table function). */
export function allowedCallables(name: string): readonly AllowedCallable[] {
  if (!byName) {
    const map = new Map<string, AllowedCallable[]>();
    for (const g of ALLOWED_CALLABLES)
      for (const c of g.callables) map.set(c.name, [...(map.get(c.name) ?? []), c]);
    byName = map;
  }
  return byName.get(name) ?? [];
}

const OPERATORS = new Set(ALLOWED_OPERATORS.map((o) => o.operator));

/** True when `operator` is on the list (`!=` is PostgreSQL's spelling of `<>`). */
export function isAllowedOperator(operator: string): boolean {
  return OPERATORS.has(operator === '!=' ? '<>' : operator);
}

/** True when a call with `count` arguments fits `spec` (`'1'`, `'1-3'`, `'1|3'`, `'2+'`). */
export function acceptsArgs(spec: string, count: number): boolean {
  return spec.split('|').some((part) => {
    if (part.endsWith('+')) return count >= Number(part.slice(0, -1));
    const [min, max = min] = part.split('-').map(Number);
    return count >= min! && count <= max!;
  });
}
