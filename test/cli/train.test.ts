// `rnnc train`: trains from JSON Lines, writes weights that `rnnc run` loads, checkpoints that
// `--resume` continues from, a log and a loss plot; bad data is a positioned error.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { webGpuRequired } from "../support/webgpu.ts";

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const SPEC = `model sign {
  input x: float[T, 1]
  input label: float[1] for training
  enc = encode(x, cell: gru(hidden: 6), zoneout: 0.1)
  logit = linear(enc.final, 1)
  output p = sigmoid(logit)
  loss bce_with_logits(logit, label)
}
`;

function folder() {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-train-"));
  const lines = Array.from({ length: 120 }, (_, i) => {
    const x = Array.from({ length: 3 + (i % 4) }, (_, t) => [Math.sin(i * 7.1 + t * 1.3)]);
    const sum = x.reduce((a, [v]) => a + v!, 0);
    return JSON.stringify({ x, label: [sum > 0 ? 1 : 0] });
  });
  writeFileSync(join(dir, "sign.rnn"), SPEC);
  writeFileSync(join(dir, "data.jsonl"), `${lines.join("\n")}\n`);
  return dir;
}

describe("rnnc train", () => {
  it("trains on WebGPU with --backend webgpu (or says there is no adapter)", async () => {
    const dir = folder();
    // Same-length sequences: one compiled shape, so lavapipe compiles the kernels once.
    const lines = Array.from({ length: 32 }, (_, i) => {
      const x = Array.from({ length: 4 }, (_, t) => [Math.sin(i * 7.1 + t * 1.3)]);
      return JSON.stringify({ x, label: [x.reduce((a, [v]) => a + v!, 0) > 0 ? 1 : 0] });
    });
    writeFileSync(join(dir, "even.jsonl"), `${lines.join("\n")}\n`);
    const args = ["train", join(dir, "sign.rnn"), "--data", join(dir, "even.jsonl")];
    const result = await run(
      ...args,
      ...["--out", join(dir, "gpu"), "--batch", "16", "--epochs", "1", "--backend", "webgpu"],
      ...["--valid-fraction", "0"],
    );
    if (!webGpuRequired && result.code === 1 && /no WebGPU adapter/i.test(result.err)) {
      expect(result.err).toMatch(/use --backend cpu/);
      return;
    }
    expect(result.err).toMatch(/WebGPU/);
    expect(result.err).toMatch(/epoch 1: train loss [\d.]+/);
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, "gpu", "weights.safetensors"))).toBe(true);
    // The trained bundle runs with the trained weights.
    const input = join(dir, "input.json");
    writeFileSync(input, JSON.stringify({ x: [[[0.5], [-0.2], [0.9], [0.1]]] }));
    const ran = await run("run", join(dir, "gpu", "bundle"), "--input", input, "--backend", "cpu");
    expect(ran.err).toBe("");
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.out).outputs).toHaveProperty("p");
  });

  it("trains, writes weights, checkpoint, log and plot, and resumes", async () => {
    const dir = folder();
    const args = [
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "data.jsonl"),
      "--out",
      join(dir, "run"),
      "--batch",
      "16",
      "--lr",
      "0.02",
      "--precision",
      "float64",
      "--backend",
      "reference",
    ];
    const first = await run(...args, "--epochs", "2");
    expect(first.err).toMatch(/epoch 2: train loss [\d.]+, validation loss [\d.]+/);
    expect(first.code).toBe(0);
    for (const f of ["weights.safetensors", "checkpoint.safetensors", "log.jsonl", "loss.svg"])
      expect(existsSync(join(dir, "run", f))).toBe(true);
    expect(readFileSync(join(dir, "run", "loss.svg"), "utf8")).toMatch(
      /^<svg [^>]*>[\s\S]*<path d="M/,
    );

    const resumed = await run(...args, "--epochs", "4", "--resume");
    expect(resumed.code).toBe(0);
    expect(resumed.err).toMatch(/resumed .* at step 14, epoch 2/);
    const log = readFileSync(join(dir, "run", "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { epoch: number; train: number });
    expect(log.map((l) => l.epoch)).toEqual([1, 2, 3, 4]);

    // Four epochs straight give the same log as two and two resumed.
    const straight = await run(
      ...args.map((a) => (a === join(dir, "run") ? join(dir, "straight") : a)),
      "--epochs",
      "4",
    );
    expect(straight.code).toBe(0);
    const straightLog = readFileSync(join(dir, "straight", "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { train: number });
    expect(straightLog.map((l) => l.train)).toEqual(log.map((l) => l.train));

    // The trained weights load into `rnnc run`.
    writeFileSync(
      join(dir, "input.json"),
      JSON.stringify({ inputs: { x: [[[0.5], [0.4]], [[-0.9]]] } }),
    );
    const r = await run(
      "run",
      join(dir, "sign.rnn"),
      "--weights",
      join(dir, "run", "weights.safetensors"),
      "--input",
      join(dir, "input.json"),
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).outputs.p).toHaveLength(2);
  });

  it("gives identical weights when run twice with the same seed", async () => {
    const dir = folder();
    const args = (out: string) => [
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "data.jsonl"),
      "--out",
      join(dir, out),
      "--epochs",
      "2",
      "--batch",
      "32",
      "--seed",
      "7",
    ];
    expect((await run(...args("a"))).code).toBe(0);
    expect((await run(...args("b"))).code).toBe(0);
    expect(readFileSync(join(dir, "a", "weights.safetensors"))).toEqual(
      readFileSync(join(dir, "b", "weights.safetensors")),
    );
  });

  it("stops with a message when the loss diverges, keeping the last good checkpoint", async () => {
    const dir = folder();
    const base = [
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "data.jsonl"),
      "--out",
      join(dir, "run"),
      "--batch",
      "16",
    ];
    expect((await run(...base, "--epochs", "1")).code).toBe(0);
    const good = readFileSync(join(dir, "run", "checkpoint.safetensors"));
    const r = await run(...base, "--epochs", "3", "--resume", "--optimizer", "sgd", "--lr", "1e38");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /error RNN4402: the loss became (NaN|Infinity) at step \d+: lower the learning rate/,
    );
    expect(r.err).toContain("the last good checkpoint is");
    expect(readFileSync(join(dir, "run", "checkpoint.safetensors"))).toEqual(good);
  });

  it("reports token ids outside the vocabulary with their line", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "tags.rnn"),
      "model tags {\n  input t: int[T]\n  input y: int[T] for training\n  output logits = linear(encode(embedding(t, vocab: 5, dim: 2), cell: gru(hidden: 3)).outputs, 3)\n  loss cross_entropy(logits, y)\n}\n",
    );
    writeFileSync(
      join(dir, "tags.jsonl"),
      '{"t": [1, 2], "y": [0, 1]}\n{"t": [4, 7], "y": [2, 2]}\n',
    );
    const r = await run(
      "train",
      join(dir, "tags.rnn"),
      "--data",
      join(dir, "tags.jsonl"),
      "--out",
      join(dir, "run"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tags\.jsonl:2: t holds token id 7, outside the vocabulary \[0, 5\)/);
  });

  it("reports bad data with its file and line, and exits 1", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "bad.jsonl"),
      '{"x": [[0.1]], "label": [1]}\n{"x": [[0.1, 0.2]], "label": [0]}\n',
    );
    const r = await run(
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "bad.jsonl"),
      "--out",
      join(dir, "run"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.jsonl:2: x should hold steps of 1 values, got 2/);
  });
});

describe("rnnc train from CSV", () => {
  it("reads a header of input names and cells holding numbers or JSON arrays", async () => {
    const dir = folder();
    const rows = [
      "x,label",
      ...Array.from(
        { length: 40 },
        (_, i) =>
          `"${JSON.stringify([[Math.sin(i)], [Math.cos(i)]])}",${Math.sin(i) + Math.cos(i) > 0 ? 1 : 0}`,
      ),
    ];
    writeFileSync(join(dir, "data.csv"), `${rows.join("\n")}\n`);
    const r = await run(
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "data.csv"),
      "--out",
      join(dir, "run"),
      "--epochs",
      "1",
      "--batch",
      "8",
    );
    expect(r.err).toMatch(/training sign on 36 examples \(4 held out\)/);
    expect(r.code).toBe(0);
  });

  it("names a missing column and a bad cell with their line", async () => {
    const dir = folder();
    writeFileSync(join(dir, "a.csv"), 'x,lbl\n"[[1]]",1\n');
    const a = await run(
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "a.csv"),
      "--out",
      join(dir, "run"),
    );
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/a\.csv:1: the header lacks column label/);
    writeFileSync(join(dir, "b.csv"), 'x,label\n"[[1]]",1\n"[[1]]",NaN\n');
    const b = await run(
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "b.csv"),
      "--out",
      join(dir, "run"),
    );
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/b\.csv:3: column label holds 'NaN', not a number or a JSON array/);
  });
});

describe("rnnc train --bptt", () => {
  it("trains a per-step model in windows, and refuses a many-to-one one", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "tagger.rnn"),
      "model tagger {\n  input x: float[T, 1]\n  input y: float[T, 1] for training\n  output p = linear(encode(x, cell: gru(hidden: 4)).outputs, 1)\n  loss mse(p, y)\n}\n",
    );
    const lines = Array.from({ length: 30 }, (_, i) => {
      const x = Array.from({ length: 4 + (i % 5) }, (_, t) => [Math.sin(i + t)]);
      return JSON.stringify({ x, y: x.map(([v]) => [v! * 0.5]) });
    });
    writeFileSync(join(dir, "seq.jsonl"), `${lines.join("\n")}\n`);
    const ok = await run(
      "train",
      join(dir, "tagger.rnn"),
      "--data",
      join(dir, "seq.jsonl"),
      "--out",
      join(dir, "run"),
      "--epochs",
      "1",
      "--bptt",
      "3",
    );
    expect(ok.err).toMatch(/epoch 1: train loss/);
    expect(ok.code).toBe(0);
    const refused = await run(
      "train",
      join(dir, "sign.rnn"),
      "--data",
      join(dir, "data.jsonl"),
      "--out",
      join(dir, "run2"),
      "--bptt",
      "3",
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--bptt needs losses on every step/);
  });
});
