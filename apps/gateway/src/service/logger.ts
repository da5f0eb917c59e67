/**
 * Structured logs: one JSON object a line on standard error (`time`,
 * `level`, `msg`, and fields such as `queryId`, which also appears in the
 * audit record), or `spoke: msg key=value` lines in the text format.
 */
import type { LoggingConfig } from '../config/gateway-config.js';

/** Log levels in order of severity. */
export type LogLevel = LoggingConfig['level'];

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** What the gateway logs through. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether `level` would be written (skip building expensive fields otherwise). */
  enabled(level: LogLevel): boolean;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: 'json' | 'text';
  /** Where lines go; standard error by default. */
  readonly write?: (line: string) => void;
}

function textValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

/** A logger writing lines at `level` and above. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const json = (options.format ?? 'json') === 'json';
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (ORDER[level] < threshold) return;
    if (json) {
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    } else {
      const extra = fields
        ? Object.entries(fields)
            .map(([k, v]) => ` ${k}=${textValue(v)}`)
            .join('')
        : '';
      write(`spoke: ${level === 'info' ? '' : `${level}: `}${msg}${extra}\n`);
    }
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    enabled: (level) => ORDER[level] >= threshold,
  };
}

/** A logger that drops everything (library use without a configured logger). */
export const SILENT_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  enabled: () => false,
};

/** A logger over a plain `(message) => void` function, as the front ends' older `log` option. */
export function loggerFromFunction(log: (message: string) => void): Logger {
  const line = (level: string) => (msg: string, fields?: LogFields) =>
    log(
      `${level === 'info' ? '' : `${level}: `}${msg}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`,
    );
  return {
    debug() {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    enabled: (l) => l !== 'debug',
  };
}
