/**
 * How chevrotain's parse errors read to a person. Token types become words ("a name",
 * "')'"), and each rule that can fail says what it was looking for. dsl/parse.ts adds the
 * code and position; this file only words the message.
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";

const TOKEN_WORDS: Record<string, string> = {
  Identifier: "a name",
  PrimedIdentifier: "a next-state name such as h'",
  NumberLiteral: "a number",
  BadNumber: "a number",
  EOF: "the end of the file",
};

/** How a token type is named in messages. */
export function describeTokenType(type: TokenType): string {
  if (type === EOF) return TOKEN_WORDS.EOF!;
  const word = TOKEN_WORDS[type.name];
  if (word) return word;
  if (typeof type.LABEL === "string") return type.LABEL;
  return `'${type.name.toLowerCase()}'`;
}

/** How a token that was found is named in messages. */
export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  return `'${token.image}'`;
}

const QUOTE = "write a straight quote for a next state: h'";
const TIMES = "write '*' to multiply";
const MINUS = "write '-', the ASCII minus";

/** Characters that look like part of the language, often pasted from papers or other languages. */
const LOOKALIKES: Record<string, string> = {
  "’": QUOTE,
  "‘": QUOTE,
  "′": QUOTE,
  "`": QUOTE,
  "×": TIMES,
  "·": TIMES,
  "∗": TIMES,
  "−": MINUS,
  "–": MINUS,
  "—": MINUS,
  "÷": "write '/' to divide",
  "@": "there is no matrix product operator: linear(x) multiplies x by its own weight",
  "^": "there is no power operator: write x * x",
  ";": "statements need no ';': end the line instead",
  "\u00a0": "replace it with a plain space",
};

/** How unexpected characters are shown: as themselves, or as U+XXXX when invisible. */
export function describeChars(chars: string): string {
  return /^[\p{L}\p{N}\p{P}\p{S}]+$/u.test(chars)
    ? `'${chars}'`
    : [...chars]
        .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`)
        .join(" ");
}

/** What to do about an unexpected character. */
export function unexpectedCharHelp(chars: string): string {
  return (
    LOOKALIKES[chars[0]!] ??
    "names use letters, digits and '_'; '#' starts a comment; operators are + - * /"
  );
}

const RULE_EXPECTATIONS: Record<string, string> = {
  program: "'cell' or 'model'",
  statement: "a statement (input, state, param, output, loss, or name = expression)",
  primary: "an expression",
  unary: "an expression",
  postfix: "an expression",
  term: "an expression",
  expr: "an expression",
  arg: "an argument",
  target: "a name to assign",
  cellParam: "a cell parameter such as 'hidden: H' or 'eps = 1e-5'",
  inputDecl: "an input declaration such as 'x: float[T, 10]'",
  stateDecl: "a state declaration such as 'h: [H]'",
  paramDecl: "a parameter declaration such as 'p: [H]'",
};

export function expectationOf(ruleName: string): string {
  return RULE_EXPECTATIONS[ruleName] ?? "something else";
}

function uniqueTypes(paths: TokenType[][][]): TokenType[] {
  const seen = new Set<TokenType>();
  for (const alt of paths) for (const path of alt) if (path[0]) seen.add(path[0]);
  return [...seen];
}

export const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${describeTokenType(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected 'cell' or 'model', found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const found = actual[0];
    const expected =
      ruleName in RULE_EXPECTATIONS
        ? expectationOf(ruleName)
        : uniqueTypes(expectedPathsPerAlt).map(describeTokenType).join(" or ");
    return `expected ${expected}, found ${found ? describeToken(found) : "nothing"}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const found = actual[0];
    const expected =
      ruleName in RULE_EXPECTATIONS
        ? expectationOf(ruleName)
        : uniqueTypes([expectedIterationPaths]).map(describeTokenType).join(" or ");
    return `expected ${expected}, found ${found ? describeToken(found) : "nothing"}`;
  },
};
