/**
 * Random small, valid cells and models for property tests of lowering and evaluation.
 * Every generated cell checks: vectors of size H are built from states, params, earlier
 * bindings and `linear(...)` of any vector; the input (size I) only ever enters through a
 * linear. Every state gets a next value.
 */
import fc from "fast-check";

const UNARY = ["sigmoid", "tanh", "relu", "softsign", "gelu", "silu", "hard_tanh"];

export interface RandomCellSpec {
  readonly source: string;
  readonly cellName: string;
}

function vectorExpr(names: readonly string[], depth: number): fc.Arbitrary<string> {
  const linear = fc
    .subarray(["x", ...names], { minLength: 1, maxLength: 2 })
    .chain((ops) =>
      fc.boolean().map((bias) => `linear(${ops.join(", ")}, out: H${bias ? "" : ", bias: false"})`),
    );
  const leaf = fc.oneof(fc.constantFrom(...names), linear);
  if (depth <= 0) return leaf;
  const sub = vectorExpr(names, depth - 1);
  return fc.oneof(
    { weight: 2, arbitrary: leaf },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...UNARY), sub).map(([f, e]) => `${f}(${e})`),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(sub, fc.constantFrom("+", "-", "*"), sub)
        .map(([a, op, b]) => `(${a} ${op} ${b})`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom("0.5", "2", "1"), sub).map(([k, e]) => `(${k} - ${e})`),
    },
    { weight: 1, arbitrary: sub.map((e) => `layernorm(${e})`) },
    { weight: 1, arbitrary: sub.map((e) => `clip(${e}, -2, 2)`) },
  );
}

/** A random cell `rc(hidden: H)` with 1-2 states, 0-1 params and 0-3 bindings. */
export const randomCell: fc.Arbitrary<RandomCellSpec> = fc
  .record({
    states: fc.integer({ min: 1, max: 2 }),
    param: fc.boolean(),
    bindings: fc.integer({ min: 0, max: 3 }),
  })
  .chain(({ states, param, bindings }) => {
    const stateNames = ["h", "c"].slice(0, states);
    const base = [...stateNames, ...(param ? ["p"] : [])];
    let lines: fc.Arbitrary<string[]> = fc.constant([]);
    const names = [...base];
    for (let i = 0; i < bindings; i++) {
      const visible = [...names];
      const name = `v${i}`;
      lines = lines.chain((ls) => vectorExpr(visible, 2).map((e) => [...ls, `  ${name} = ${e}`]));
      names.push(name);
    }
    for (const s of stateNames) {
      const visible = [...names];
      lines = lines.chain((ls) => vectorExpr(visible, 2).map((e) => [...ls, `  ${s}' = ${e}`]));
    }
    return lines.map((body) => ({
      cellName: "rc",
      source: [
        "cell rc(hidden: H) {",
        "  input x",
        `  state ${stateNames.map((s) => `${s}: [H]`).join(", ")}`,
        ...(param ? ["  param p: [H]"] : []),
        ...body,
        "}",
      ].join("\n"),
    }));
  });

export interface RandomModelSpec {
  readonly source: string;
  readonly batch: number;
  readonly steps: number;
  readonly input: number;
  readonly lengths: readonly number[];
}

/** A random cell run by a random encoder, with a many-to-one and a many-to-many output. */
export const randomModel: fc.Arbitrary<RandomModelSpec> = fc
  .record({
    cell: randomCell,
    hidden: fc.integer({ min: 1, max: 4 }),
    input: fc.integer({ min: 1, max: 3 }),
    layers: fc.integer({ min: 1, max: 2 }),
    bidirectional: fc.boolean(),
    merge: fc.constantFrom("concat", "sum", "mean"),
    batch: fc.integer({ min: 1, max: 3 }),
    steps: fc.integer({ min: 1, max: 4 }),
  })
  .chain((r) =>
    fc
      .array(fc.integer({ min: 1, max: r.steps }), { minLength: r.batch, maxLength: r.batch })
      .map((lengths) => {
        const options = [
          `cell: rc(hidden: ${r.hidden})`,
          `layers: ${r.layers}`,
          ...(r.bidirectional ? ["bidirectional", `merge: ${r.merge}`] : []),
        ];
        const source = [
          r.cell.source,
          "",
          "model m {",
          `  input x: float[T, ${r.input}]`,
          `  enc = encode(x, ${options.join(", ")})`,
          "  output final = enc.final",
          "  output outputs = enc.outputs",
          "}",
          "",
        ].join("\n");
        return { source, batch: r.batch, steps: r.steps, input: r.input, lengths };
      }),
  );
