/**
 * Programs at and just beyond each of rnnc's limits (docs/language.md, Diagnostics): every
 * position a size or count can be written in, with the largest value accepted and the first
 * refused, and nesting at its two limits. `expect` is "accepted" or the code of the refusal.
 */
import { MAX_DEPTH, MAX_NESTING } from "../../../dsl/nesting.ts";
import { LIMITS } from "../../../compiler/check/limits.ts";

export interface LimitCase {
  readonly name: string;
  readonly text: string;
  readonly expect: "accepted" | "RNN1006" | "RNN2029" | "RNN2025";
}

const cell = (body: string) =>
  `cell c(hidden: H) {\n  input x\n  state h: [H]\n  h' = ${body}\n}\n` +
  "model m {\n  input x: float[T, 3]\n  e = encode(x, cell: c(hidden: 4))\n  output y = e.final\n}\n";

const model = (lines: string) => `model m {\n${lines}\n}\n`;

const seq = (options: Record<string, string>) => {
  const o = {
    vocab: "11",
    embed: "6",
    max_steps: "5",
    search: "greedy",
    attention: "bahdanau",
    attention_size: "8",
    ...options,
  };
  return model(
    [
      "  input s: int[S]",
      "  enc = encode(embedding(s, vocab: 30, dim: 8), cell: gru(hidden: 8))",
      `  dec = decode(from: enc, cell: gru(hidden: 8), attention: ${o.attention}, attention_size: ${o.attention_size}, vocab: ${o.vocab}, embed: ${o.embed}, bos: 1, eos: 2, max_steps: ${o.max_steps}, search: ${o.search})`,
      "  output tokens = dec.tokens",
    ].join("\n"),
  );
};

const SIZE = LIMITS.size;
const over = String(SIZE + 1);

/** Each case once at the limit (accepted) and once beyond it (refused). */
export function limitCases(): LimitCase[] {
  const cases: LimitCase[] = [];
  const pair = (name: string, at: string, beyond: string, make: (n: string) => string) => {
    cases.push({ name: `${name} at the limit`, text: make(at), expect: "accepted" });
    cases.push({ name: `${name} beyond it`, text: make(beyond), expect: "RNN2029" });
  };
  const n = MAX_NESTING - 1; // the cell's block is one level
  cases.push(
    { name: "parentheses", text: cell(`${"(".repeat(n)}h${")".repeat(n)}`), expect: "accepted" },
    {
      name: "parentheses beyond",
      text: cell(`${"(".repeat(n + 1)}h${")".repeat(n + 1)}`),
      expect: "RNN1006",
    },
    {
      name: "calls",
      text: cell(`${"tanh(".repeat(n)}h${")".repeat(n)}`),
      expect: "accepted",
    },
    { name: "unary minus", text: cell(`${"-".repeat(n)}h`), expect: "accepted" },
    { name: "unary minus beyond", text: cell(`${"-".repeat(n + 1)}h`), expect: "RNN1006" },
    { name: "unclosed", text: cell("(".repeat(100_000)), expect: "RNN1006" },
    {
      name: "a chain of operators",
      text: cell(Array<string>(MAX_DEPTH).fill("h").join(" + ")),
      expect: "accepted",
    },
    {
      name: "a chain beyond",
      text: cell(
        Array<string>(MAX_DEPTH + 1)
          .fill("h")
          .join(" * "),
      ),
      expect: "RNN1006",
    },
  );
  // A size that is fine alone but whose model is beyond the parameter limit is RNN2029 too;
  // these pairs keep the parameters small, so only the number itself decides.
  pair("a model input's size", "16777216", over, (v) =>
    model(`  input x: float[${v}]\n  output y = x`),
  );
  pair("embedding vocab", "1000000", over, (v) =>
    model(
      `  input t: int[T]\n  e = embedding(t, vocab: ${v}, dim: 1)\n  enc = encode(e, cell: gru(hidden: 2))\n  output y = enc.final`,
    ),
  );
  pair("linear out", "1000000", over, (v) =>
    model(`  input x: float[1]\n  output y = linear(x, ${v}, bias: false)`),
  );
  pair("a cell's size", "16777216", over, (v) =>
    model(
      `  input x: float[T, 1]\n  e = encode(x, cell: indrnn(hidden: ${v}))\n  output y = e.final`,
    ),
  );
  pair(
    "a cell's shape",
    "16777216",
    over,
    (v) =>
      `cell c(hidden: H) {\n  input x\n  state h: [H]\n  param p: [${v}]\n  h' = h\n}\n` +
      "model m {\n  input x: float[T, 1]\n  e = encode(x, cell: c(hidden: 1))\n  output y = e.final\n}\n",
  );
  pair(
    "a cell's evaluated shape",
    "4096",
    "16777",
    (v) =>
      `cell c(hidden: H) {\n  input x\n  state h: [H * H]\n  h' = h\n}\n` +
      `model m {\n  input x: float[T, 1]\n  e = encode(x, cell: c(hidden: ${v}))\n  output y = e.final\n}\n`,
  );
  pair("max_steps", String(LIMITS.decodeSteps), String(LIMITS.decodeSteps + 1), (v) =>
    seq({ max_steps: v }),
  );
  pair("top_k", "11", over, (v) => seq({ search: `sample(top_k: ${v})` }));
  pair("beam width", "64", over, (v) => seq({ search: `beam(width: ${v})` }));
  pair("attention_size", "64", over, (v) => seq({ attention_size: v }));
  pair("a value's scalars", "16384", "16385", (v) =>
    model(`  input x: float[${v}, 16384]\n  output y = x`),
  );
  pair("a model's parameters", "16384", "16385", (v) =>
    model(`  input x: float[16384]\n  output y = linear(x, ${v}, bias: false)`),
  );
  cases.push(
    {
      name: "layers beyond 256",
      text: model(
        "  input x: float[T, 1]\n  e = encode(x, cell: gru(hidden: 1), layers: 257)\n  output y = e.final",
      ),
      expect: "RNN2025",
    },
    {
      name: "a number of 30 digits",
      text: model("  input x: float[1]\n  output y = linear(x, 123456789012345678901234567890)"),
      expect: "RNN2029",
    },
    {
      name: "1e999 (infinity)",
      text: model(
        "  input x: float[T, 1]\n  e = encode(x, cell: gru(hidden: 1e999))\n  output y = e.final",
      ),
      expect: "RNN2029",
    },
  );
  return cases;
}
