/**
 * Tokens of the `.rnn` language.
 *
 * Order matters: chevrotain tries patterns in this order and takes the first match, so
 * primed names come before keywords (`state'` is a name), keywords use `longer_alt` so
 * `cells` is a name, and a well-formed number comes before the catch-all `BadNumber`
 * (which exists only to give "3H" or "1.2.3" a clear diagnostic instead of two tokens).
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n]+/,
  group: Lexer.SKIPPED,
});
export const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: "comments" });

export const PrimedIdentifier = createToken({
  name: "PrimedIdentifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*'/,
});
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(`${word}\\b`),
    longer_alt: Identifier,
  });
}

export const Cell = keyword("cell");
export const Model = keyword("model");
export const Input = keyword("input");
export const State = keyword("state");
export const Param = keyword("param");
export const Output = keyword("output");
export const Loss = keyword("loss");
export const For = keyword("for");
export const Training = keyword("training");
export const True = keyword("true");
export const False = keyword("false");

export const keywordTokens: readonly TokenType[] = [
  Cell,
  Model,
  Input,
  State,
  Param,
  Output,
  Loss,
  For,
  Training,
  True,
  False,
];

/** Words a user may not use as names. */
export const KEYWORDS: readonly string[] = [
  "cell",
  "model",
  "input",
  "state",
  "param",
  "output",
  "loss",
  "for",
  "training",
  "true",
  "false",
];

export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.'])/,
  start_chars_hint: [..."0123456789"],
});
export const BadNumber = createToken({
  name: "BadNumber",
  pattern: /\d[A-Za-z0-9_.']*(?:[eE][+-]\d*)?/,
  start_chars_hint: [..."0123456789"],
});

export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/, label: "'{'" });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "'/'" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "'.'" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  PrimedIdentifier,
  Cell,
  Model,
  Input,
  State,
  Param,
  Output,
  Loss,
  For,
  Training,
  True,
  False,
  Identifier,
  NumberLiteral,
  BadNumber,
  LParen,
  RParen,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  Dot,
];
