// The TextMate grammar of .rnn (editors/vscode-rnn/syntaxes/rnn.tmLanguage.json), run with
// VS Code's own engine (vscode-textmate + vscode-oniguruma): every example and stdlib file
// tokenizes, comments, declarations, keywords, builtins and numbers get their scopes, and
// the grammar knows every keyword and builtin the language has.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";
import {
  ACTIVATIONS,
  CELL_FUNCTIONS,
  LOSSES,
  MODEL_FUNCTIONS,
} from "../../compiler/check/builtins.ts";
import { KEYWORDS } from "../../dsl/tokens.ts";

const GRAMMAR = "editors/vscode-rnn/syntaxes/rnn.tmLanguage.json";
const require = createRequire(import.meta.url);

let grammar: textmate.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) =>
      scope === "source.rnn"
        ? textmate.parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR)
        : null,
  });
  grammar = (await registry.loadGrammar("source.rnn"))!;
});

/** Every token of `text`: its text and scopes (outermost first, space-separated), line by line. */
function tokens(text: string): { text: string; scope: string; line: number }[] {
  const out: { text: string; scope: string; line: number }[] = [];
  let stack = textmate.INITIAL;
  text.split("\n").forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens)
      out.push({ text: line.slice(t.startIndex, t.endIndex), scope: t.scopes.join(" "), line: i });
    stack = r.ruleStack;
  });
  return out;
}

/** The innermost scope of the `nth` token `word` of `text`. */
function scopeOf(text: string, word: string, nth = 0): string | undefined {
  return tokens(text)
    .filter((t) => t.text.trim() === word)
    [nth]?.scope.split(" ")
    .at(-1);
}

const SPEC = `# a peephole LSTM
cell peephole(hidden: H, eps = 1e-5) {
  input x
  state h: [H], c: [H]
  param p_i: [H]

  i = sigmoid(linear(x, h) + p_i * c)
  c' = i * tanh(linear(x, h)) - 0.5
  h' = c' / 2
}

model m {
  input tokens: int[T]
  input label: float[1] for training

  enc = encode(embedding(tokens, vocab: 20000, dim: 64), cell: peephole(hidden: 8), bidirectional)
  output prob = sigmoid(linear(enc.final, 1))
  loss bce_with_logits(prob, label)
}
`;

describe("the .rnn TextMate grammar", () => {
  it("scopes comments, declarations, keywords, builtins, numbers and operators", () => {
    const expected: [string, string, number?][] = [
      ["#", "punctuation.definition.comment.rnn"],
      ["a peephole LSTM", "comment.line.number-sign.rnn"],
      ["cell", "keyword.declaration.cell.rnn"],
      ["peephole", "entity.name.function.cell.rnn"],
      ["hidden", "variable.parameter.size.rnn"],
      ["H", "entity.name.type.size.rnn"],
      ["eps", "variable.parameter.scalar.rnn"],
      ["1e-5", "constant.numeric.rnn"],
      ["input", "keyword.other.declaration.rnn"],
      ["state", "keyword.other.declaration.rnn"],
      ["param", "keyword.other.declaration.rnn"],
      ["p_i", "variable.other.definition.rnn"],
      ["i", "variable.other.definition.rnn"],
      ["sigmoid", "support.function.activation.rnn"],
      ["linear", "support.function.builtin.rnn"],
      ["+", "keyword.operator.arithmetic.rnn"],
      ["c", "variable.other.next.rnn", 2],
      ["'", "keyword.operator.prime.rnn"],
      ["0.5", "constant.numeric.rnn"],
      ["model", "keyword.declaration.model.rnn"],
      ["m", "entity.name.type.model.rnn"],
      ["int", "support.type.primitive.rnn"],
      ["float", "support.type.primitive.rnn"],
      ["for", "keyword.other.rnn"],
      ["training", "keyword.other.rnn"],
      ["encode", "support.function.builtin.rnn"],
      ["vocab", "variable.parameter.argument.rnn"],
      ["20000", "constant.numeric.rnn"],
      ["cell", "variable.parameter.argument.rnn", 1],
      ["peephole", "entity.name.function.call.rnn", 1],
      ["final", "variable.other.member.rnn"],
      ["prob", "variable.other.definition.rnn"],
      ["loss", "keyword.other.loss.rnn"],
      ["bce_with_logits", "support.function.loss.rnn"],
    ];
    const got = expected.map(([word, , nth]) => [word, scopeOf(SPEC, word, nth ?? 0)]);
    expect(got).toEqual(expected.map(([word, scope]) => [word, scope]));
  });

  it("marks a number glued to a name as invalid, as the lexer does", () => {
    expect(scopeOf("cell c(hidden: H) {\n  h' = 3H\n}\n", "3H")).toBe("invalid.illegal.number.rnn");
  });

  const files = [
    ...readdirSync("examples")
      .filter((f) => f.endsWith(".rnn"))
      .map((f) => `examples/${f}`),
    ...readdirSync("dsl/stdlib").map((f) => `dsl/stdlib/${f}`),
  ];
  it.each(files)("%s: comments, keywords and numbers scoped; nothing left unscoped", (file) => {
    const text = readFileSync(file, "utf8");
    const all = tokens(text);
    for (const t of all) {
      if (t.text.trim() === "") continue;
      const where = `${file}:${t.line + 1} '${t.text}'`;
      const inner = t.scope.split(" ").at(-1)!;
      expect(inner, where).not.toBe("source.rnn");
      if (t.text.startsWith("#")) expect(t.scope, where).toContain("comment.line.number-sign.rnn");
      if (/^\d/.test(t.text) && !t.scope.includes("comment"))
        expect(inner, where).toBe("constant.numeric.rnn");
      if ((KEYWORDS as readonly string[]).includes(t.text) && !t.scope.includes("comment"))
        expect(inner, where).toMatch(/^keyword|^constant\.language|^variable\.parameter\.argument/);
    }
  });

  it("knows every keyword and builtin of the language", () => {
    const text = readFileSync(GRAMMAR, "utf8");
    for (const word of [
      ...KEYWORDS,
      ...Object.keys(ACTIVATIONS),
      ...CELL_FUNCTIONS,
      ...MODEL_FUNCTIONS,
      ...LOSSES,
    ])
      expect(text, word).toMatch(new RegExp(`[(|]${word}[|)]`));
  });
});
