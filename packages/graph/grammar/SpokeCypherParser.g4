// Neo4j's Cypher 25 parser grammar, unchanged, over the lexer beside it.
parser grammar SpokeCypherParser;

import Cypher25Parser;

options { tokenVocab = SpokeCypherLexer; }
