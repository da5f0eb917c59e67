/**
 * Runs the generated Cypher 25 parser (Neo4j's grammar, antlr4ng runtime) over
 * a query text and returns its parse tree, or throws a 42601 SpokeError at the
 * first syntax error.
 */
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

/** Parses `text` with the Cypher grammar. */
export function parseCypherTree(text: string): StatementsContext {
  if (text.length > MAX_CYPHER_LENGTH)
    throw cypherSyntaxError(`query longer than ${MAX_CYPHER_LENGTH} characters`, MAX_CYPHER_LENGTH);
  const listener = new ThrowingListener();
  const lexer = new SpokeCypherLexer(CharStream.fromString(text));
  lexer.removeErrorListeners();
  lexer.addErrorListener(listener);
  const parser = new SpokeCypherParser(new CommonTokenStream(lexer));
  parser.removeErrorListeners();
  parser.addErrorListener(listener);
  return parser.statements();
}
