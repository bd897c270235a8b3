// torch → rnnc → torch, from the files scripts/torch-interop.py wrote with PyTorch
// (test/fixtures/torch-interop): each state_dict was written by `rnnc export-torch` and loaded
// by torch with strict=True; torch's outputs on it are in torch-outputs.json. Here (no torch):
// the exporter still writes those bytes, `rnnc import-torch` turns each file into a bundle
// whose outputs on the CPU and the reference backends equal torch's within 1e-5, and
// exporting that bundle gives the same state_dict back, byte for byte.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { runReference } from "../../compiler/driver/run-model.ts";
import { BundleModel } from "../../runtime/bundle/index.ts";
import { flattenNested } from "../../runtime/bundle/nested.ts";
import { tensor } from "../../runtime/reference/tensor.ts";
import { readSafetensors, writeSafetensors } from "../../runtime/weights/safetensors.ts";
import { checkOk } from "../support/check.ts";

interface TorchCase {
  readonly spec: string;
  readonly state_dict: string;
  readonly seed: number;
  readonly map: string;
  readonly torch_call: string;
  readonly lengths: Record<string, number[]>;
  readonly inputs: Record<string, unknown[]>;
  readonly per_step: readonly string[];
  readonly outputs: Record<string, unknown[]>;
}

const FIXTURES = "test/fixtures/torch-interop";
const cases: Record<string, TorchCase> = JSON.parse(
  readFileSync(`${FIXTURES}/torch-outputs.json`, "utf8"),
).cases;
const work = mkdtempSync(join(tmpdir(), "rnnc-torch-interop-"));

async function rnnc(...argv: string[]) {
  const err: string[] = [];
  const code = await main(argv, { out: () => {}, err: (l) => err.push(l) });
  return { code, err: err.join("\n") };
}

/** Max |got - want| over every value (per-step outputs: the valid steps only). */
function maxError(
  got: ArrayLike<number>,
  shape: readonly number[],
  want: unknown[],
  lengths?: number[],
): number {
  const flat = (want as number[]).flat(Infinity) as number[];
  expect(flat.length).toBe(got.length);
  const [, steps = 1] = shape;
  const inner = got.length / (shape[0]! * (lengths ? steps : 1));
  let worst = 0;
  for (let i = 0; i < flat.length; i++) {
    if (lengths) {
      const b = Math.floor(i / (steps * inner));
      const t = Math.floor(i / inner) % steps;
      if (t >= lengths[b]!) continue;
    }
    worst = Math.max(worst, Math.abs(got[i]! - flat[i]!));
  }
  return worst;
}

const table: string[] = [];
afterAll(() => {
  if (table.length === 0) return;
  console.log(
    [
      "max |rnnc - torch| per model (torch in float64 on the exported float32 weights)",
      `  ${"model".padEnd(32)} ${"float64".padStart(8)} ${"bundle:ref".padStart(9)} ${"cpu".padStart(8)}  torch modules`,
      ...table,
    ].join("\n"),
  );
});

describe.each(Object.entries(cases))("%s", (name, c) => {
  const dir = join(work, name);

  it("export-torch writes the state_dict torch loaded (same bytes)", async () => {
    const weights = join(work, `${name}.init.safetensors`);
    const out = join(work, `${name}.torch.safetensors`);
    expect((await rnnc("init", c.spec, "--seed", String(c.seed), "--output", weights)).code).toBe(
      0,
    );
    const r = await rnnc(
      "export-torch",
      c.spec,
      "--weights",
      weights,
      "-o",
      out,
      ...(c.map ? ["--map", c.map] : []),
    );
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out).equals(readFileSync(c.state_dict))).toBe(true);
  });

  it("import-torch (names matched without --map) gives a bundle equal to torch within 1e-5", async () => {
    const steps = (c.inputs[Object.keys(c.inputs)[0]!]![0] as unknown[]).length;
    const r = await rnnc(
      "import-torch",
      c.spec,
      "--state-dict",
      c.state_dict,
      "-o",
      dir,
      "--batch",
      "3",
      "--steps",
      `T=${steps}`,
    );
    expect(r.code, r.err).toBe(0);
    const errors: string[] = [];
    for (const backend of ["reference", "cpu"] as const) {
      const model = await BundleModel.load(dir, { backend });
      const outputs = await model.run(c.inputs as never, { lengths: c.lengths });
      model.destroy();
      let worst = 0;
      for (const [output, want] of Object.entries(c.outputs)) {
        const got = outputs[output]!;
        const perStep = c.per_step.includes(output) ? c.lengths["T"] : undefined;
        worst = Math.max(worst, maxError(got.data as Float32Array, got.shape, want, perStep));
      }
      expect(worst, `${name} on ${backend}`).toBeLessThanOrEqual(1e-5);
      errors.push(worst.toExponential(1));
    }
    // The spec on the reference interpreter in float64, with the imported weights and the
    // inputs at full precision (the bundle takes float inputs as float32).
    const model = checkOk(readFileSync(c.spec, "utf8")).models[0]!;
    const inputs = new Map(
      model.inputs.map((input) => {
        const flat = flattenNested(input.name, input.type, c.inputs[input.name]);
        return [input.name, tensor(input.type.dtype, flat.shape, flat.values)] as const;
      }),
    );
    const weights = readSafetensors(readFileSync(join(dir, "weights.safetensors"))).tensors;
    const exact = runReference(model, { inputs, lengths: c.lengths, weights }).outputs;
    let worst = 0;
    for (const [output, want] of Object.entries(c.outputs)) {
      const got = exact[output]!;
      const perStep = c.per_step.includes(output) ? c.lengths["T"] : undefined;
      worst = Math.max(worst, maxError(got.data, got.shape, want, perStep));
    }
    expect(worst, `${name} in float64`).toBeLessThanOrEqual(1e-12);
    errors.push(worst.toExponential(1));
    table.push(
      `  ${name.padEnd(32)} ${errors[2]!.padStart(8)} ${errors[0]!.padStart(9)} ${errors[1]!.padStart(8)}  ${c.torch_call}`,
    );
  });

  it("export-torch of the imported bundle gives the same state_dict back", async () => {
    const out = join(work, `${name}.back.safetensors`);
    const r = await rnnc(
      "export-torch",
      dir,
      "--spec",
      c.spec,
      "-o",
      out,
      ...(c.map ? ["--map", c.map] : []),
    );
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out).equals(readFileSync(c.state_dict))).toBe(true);
  });
});

/** import-torch of a fixture's spec with `stateDict`, into a bundle that must not be written. */
function importBad(spec: string, stateDict: string, ...extra: string[]) {
  return rnnc(
    "import-torch",
    `${FIXTURES}/${spec}.rnn`,
    "--state-dict",
    stateDict,
    "-o",
    join(work, "bad"),
    ...extra,
  );
}

describe("bad state_dicts: every offending tensor named, exit 1, no stack trace", () => {
  it("a state_dict of another architecture (a GRU for an LSTM)", async () => {
    const r = await importBad("lstm_l2_bi_varlen", `${FIXTURES}/gru_l1_bi_varlen.safetensors`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "lstm_l2_bi_varlen.rnn:4:9: error RNN4601: the state_dict's 'gru' (matched by kind) does not fit encoder 'enc' (nn.LSTM(3, 5), 2 layers, bidirectional)",
    );
    expect(r.err).toContain(
      "gru.weight_ih_l0: expected shape [20, 3] (4 row blocks i, f, g, o of [5, 3]), got [12, 3]",
    );
    expect(r.err).toContain("gru.weight_ih_l1: missing (expected shape [20, 10])");
    expect(r.err).toContain(
      "'gru' looks like nn.GRU(3, 4), bidirectional, the spec wants nn.LSTM(3, 5), 2 layers, bidirectional",
    );
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("a missing tensor, an extra one and a wrong dtype, all at once", async () => {
    const { tensors } = readSafetensors(readFileSync(`${FIXTURES}/lstm_l1_linear.safetensors`));
    tensors.delete("lstm.bias_hh_l0");
    tensors.set("fc2.weight", { dtype: "F32", shape: [2, 2], data: new Float32Array(4) });
    tensors.set("fc.bias", { dtype: "I32", shape: [2], data: new Int32Array(2) });
    const file = join(work, "edited.safetensors");
    writeFileSync(file, writeSafetensors(tensors));
    const r = await importBad("lstm_l1_linear", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("lstm.bias_hh_l0: missing (expected shape [20])");
    expect(r.err).toContain("fc.bias: expected a float tensor (F32, F64, F16 or BF16), got I32");
    expect(r.err).toContain(
      `${file}: error RNN4601: 1 tensor no module of the spec claims\n    fc2.weight [2, 2]`,
    );
  });

  it("--map to a binding the spec lacks is RNN4604", async () => {
    const r = await importBad(
      "lstm_l1_linear",
      `${FIXTURES}/lstm_l1_linear.safetensors`,
      "--map",
      "lstm=encoder",
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain("RNN4604");
    expect(r.err).toContain(
      "--map lstm=encoder: the spec has no torch.nn module 'encoder' (it has enc, y)",
    );
  });

  it("usage errors exit 2 with one line", async () => {
    const spec = `${FIXTURES}/lstm_l1_linear.rnn`;
    const state = `${FIXTURES}/lstm_l1_linear.safetensors`;
    for (const [argv, message] of [
      [["import-torch", spec, "--state-dict", state], "import-torch needs -o DIR"],
      [
        ["import-torch", spec, "--state-dict", state, "-o", work, "--map", "lstm"],
        "--map takes TORCH=RNNC pairs",
      ],
      [
        ["export-torch", work, "-o", join(work, "x.safetensors")],
        "name the spec it was compiled from with --spec",
      ],
      [
        ["export-torch", spec, "-o", join(work, "x.safetensors")],
        "needs --weights FILE.safetensors",
      ],
    ] as const) {
      const r = await rnnc(...argv);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(message);
    }
  });
});
