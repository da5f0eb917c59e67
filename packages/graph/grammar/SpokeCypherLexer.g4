// The Cypher lexer of Neo4j's Cypher 25 grammar (shipped in @neo4j-cypher/language-support),
// with its one Java action replaced by the TypeScript equivalent for the antlr4ng runtime.
lexer grammar SpokeCypherLexer;

import Cypher25Lexer;

RCURLY
   : '}' { if (this.modeStack.length > 0) this.popMode(); }
   ;
