/**
 * Runs the generated Cypher 25 parser (Neo4j's grammar, antlr4ng runtime) over
 * a query text and returns its parse tree, or throws a 42601 SpokeError at the
 * first syntax error.
 */

import { ErrorCode, SpokeError } from '@spoke/core';
import {
  BaseErrorListener,
  CharStream,
  CommonTokenStream,
  type RecognitionException,
  type Recognizer,
  type Token,
} from 'antlr4ng';
import { cypherSyntaxError } from '../errors.js';
import { SpokeCypherLexer } from '../generated/SpokeCypherLexer.js';
import { SpokeCypherParser, type StatementsContext } from '../generated/SpokeCypherParser.js';

/** Queries longer than this are refused before parsing (a bound on parse time and memory). */
export const MAX_CYPHER_LENGTH = 100_000;

class ThrowingListener extends BaseErrorListener {
  override syntaxError<S extends Token>(
    _recognizer: Recognizer<never>,
    offendingSymbol: S | null,
    line: number,
    column: number,
    message: string,
    _e: RecognitionException | null,
  ): void {
    const position = offendingSymbol && offendingSymbol.start >= 0 ? offendingSymbol.start + 1 : undefined;
    throw cypherSyntaxError(
      `${message.replace(/ expecting \{.*\}$/s, '')} (line ${line}, column ${column + 1})`,
      position ?? column + 1,
    );
  }
}

/** Deeper nesting of (, [ and { is refused before parsing: the parser recurses once per level. */
export const MAX_CYPHER_NESTING = 200;

function tooComplex(message: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_QUERY, `Cypher: ${message}`, { details: { sqlstate: '54001' } });
}

/** Parses `text` with the Cypher grammar. */
export function parseCypherTree(text: string): StatementsContext {
  if (text.length > MAX_CYPHER_LENGTH)
    throw cypherSyntaxError(`query longer than ${MAX_CYPHER_LENGTH} characters`, MAX_CYPHER_LENGTH);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    if (depth > MAX_CYPHER_NESTING)
      throw tooComplex(`query nested more than ${MAX_CYPHER_NESTING} levels deep (at position ${i + 1})`);
  }
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof RangeError) throw tooComplex('query too complex to parse (stack depth exceeded)');
    throw error;
  }
}

function parse(text: string): StatementsContext {
  const listener = new ThrowingListener();
  const lexer = new SpokeCypherLexer(CharStream.fromString(text));
  lexer.removeErrorListeners();
  lexer.addErrorListener(listener);
  const parser = new SpokeCypherParser(new CommonTokenStream(lexer));
  parser.removeErrorListeners();
  parser.addErrorListener(listener);
  return parser.statements();
}
