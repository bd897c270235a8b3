/**
 * Loaders on damaged files (CI's short form of `npm run test:reliability`): safetensors files,
 * bundles (manifest, weights, plans, graphs; damaged with or without a matching hash), JSON
 * Lines and CSV training data, and `run` inputs are loaded or refused with a coded error, and
 * the pristine bundle is unchanged afterwards. Then one case of each kind the fuzzer found.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFiles, writeBundleDir } from "../../compiler/bundle/write.ts";
import { BundleModel } from "../../runtime/bundle/index.ts";
import { parseJsonLines } from "../../runtime/train/data.ts";
import { readSafetensors, writeSafetensors, tensor } from "../../runtime/weights/safetensors.ts";
import { checkOk } from "../support/check.ts";
import { describeWebGpu } from "../support/webgpu.ts";
import {
  BASE_INPUT,
  LIMITS,
  LOADER_SPEC,
  LoaderFuzzer,
  type FuzzResult,
} from "./support/loaders.ts";
import { Rng } from "./support/rng.ts";

const RUNS = Number(process.env.RNNC_RELIABILITY_RUNS ?? "250");
const SEED = Number(process.env.RNNC_RELIABILITY_SEED ?? Date.now() % 1_000_000);

let fuzzer: LoaderFuzzer;
beforeAll(async () => {
  fuzzer = await LoaderFuzzer.create();
});
afterAll(() => fuzzer?.dispose());

function noCrash(r: FuzzResult, i: number): void {
  if (r.outcome.status === "crash")
    throw new Error(`seed ${SEED} input ${i}: ${r.kind} (${r.how}) crashed:\n${r.outcome.error}`);
}

describe("loaders on damaged files", () => {
  it(`load or refuse with a code, and leave the bundle intact (seed ${SEED})`, async () => {
    const seen = new Map<string, Set<string>>();
    for (let i = 0; i < RUNS; i++) {
      const results = [
        fuzzer.safetensors(Rng.of(SEED, 5 * i)),
        await fuzzer.bundle(Rng.of(SEED, 5 * i + 1)),
        fuzzer.data(Rng.of(SEED, 5 * i + 2)),
        fuzzer.data(Rng.of(SEED, 5 * i + 3)),
        await fuzzer.input(Rng.of(SEED, 5 * i + 4)),
      ];
      for (const r of results) {
        noCrash(r, i);
        seen.set(r.kind, (seen.get(r.kind) ?? new Set()).add(r.outcome.status));
      }
    }
    await fuzzer.assertIntact();
    // Both outcomes, so the damage is neither always fatal nor always harmless (damaged CSV
    // loads too rarely, about 3%, to require it in a short run).
    for (const [kind, statuses] of seen) {
      const want = kind === "CSV data files" ? ["refused"] : ["loaded", "refused"];
      expect([kind, [...statuses].filter((s) => want.includes(s)).sort()]).toEqual([kind, want]);
    }
  });
});

describeWebGpu("damaged bundles on WebGPU", (gpu) => {
  it(`load or refuse with a code on the device (seed ${SEED})`, async () => {
    for (let i = 0; i < 30; i++)
      noCrash(await fuzzer.bundle(Rng.of(SEED, 1e6 + i), gpu().device), i);
    await fuzzer.assertIntact();
  });
});

describe("what fuzzing (and reading around it) found, one case each", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-loader-cases-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function bundleWith(edit: (files: Map<string, Uint8Array>) => void): Promise<string> {
    const files = await bundleFiles(checkOk(LOADER_SPEC).models[0]!, { limits: LIMITS });
    edit(files);
    const out = mkdtempSync(join(dir, "b-"));
    writeBundleDir(join(out, "bundle"), files);
    return join(out, "bundle");
  }

  /** Replaces a file of the bundle and its size and hash in the manifest. */
  function replaceFile(files: Map<string, Uint8Array>, path: string, bytes: Uint8Array): void {
    files.set(path, bytes);
    manifestEdit((m) => {
      const entry = (m.files as { path: string; bytes: number; sha256: string }[]).find(
        (f) => f.path === path,
      )!;
      entry.bytes = bytes.length;
      entry.sha256 = createHash("sha256").update(bytes).digest("hex");
    })(files);
  }

  const manifestEdit =
    (change: (m: Record<string, unknown>) => void) => (files: Map<string, Uint8Array>) => {
      const m = JSON.parse(new TextDecoder().decode(files.get("manifest.json")!));
      change(m);
      files.set("manifest.json", new TextEncoder().encode(JSON.stringify(m)));
    };

  it("a safetensors header that claims a terabyte, or a shape of 10^24 elements: RNN4101, RNN4102", () => {
    const good = writeSafetensors({ w: tensor("F32", [2], [1, 2]) });
    const claim = Uint8Array.from(good);
    new DataView(claim.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => readSafetensors(claim)).toThrow(
      /RNN4101: .*header length says 1099511627776 bytes/,
    );
    const header =
      '{"w":{"dtype":"F32","shape":[1000000000000,1000000000000],"data_offsets":[0,8]}}';
    const text = new TextEncoder().encode(header);
    const absurd = new Uint8Array(8 + text.length + 8);
    new DataView(absurd.buffer).setBigUint64(0, BigInt(text.length), true);
    absurd.set(text, 8);
    expect(() => readSafetensors(absurd)).toThrow(
      /RNN4102: .*shape \[1000000000000, 1000000000000\] is too large/,
    );
  });

  it("weights holding NaN or an infinity: RNN4111, naming the tensor and element", async () => {
    const path = await bundleWith((files) => {
      const { tensors } = readSafetensors(files.get("weights.safetensors")!);
      ([...tensors.values()][0]!.data as Float32Array)[3] = NaN;
      replaceFile(files, "weights.safetensors", writeSafetensors(tensors));
    });
    await expect(BundleModel.load(path, { backend: "cpu" })).rejects.toThrow(
      /RNN4111: [^]*element 3 is NaN/,
    );
  });

  it("a plan that reads a parameter the weights lack: RNN4504", async () => {
    const path = await bundleWith((files) => {
      const plan = JSON.parse(new TextDecoder().decode(files.get("plan.cpu.json")!));
      const [name] = Object.keys(plan.params);
      plan.params[`${name}x`] = plan.params[name!];
      delete plan.params[name!];
      replaceFile(files, "plan.cpu.json", new TextEncoder().encode(JSON.stringify(plan)));
    });
    await expect(BundleModel.load(path, { backend: "cpu" })).rejects.toThrow(
      /RNN4504: plan.cpu.json: param '.*x' disagrees with manifest.json/,
    );
  });

  it("a stream whose step plan is broken fails each step with RNN4504, and nothing else", async () => {
    const path = await bundleWith((files) =>
      replaceFile(files, "plan.step.cpu.json", new TextEncoder().encode('{"buffers": 7}')),
    );
    const model = await BundleModel.load(path, { backend: "cpu" });
    const stream = model.stream();
    await expect(stream.step({ tokens: [1], extra: [[0, 0, 0]] })).rejects.toThrow(/RNN4504/);
    model.stream(); // never stepped: its failed load must not be an unhandled rejection
    model.destroy();
  });

  it("a manifest asking for a billion sequences, or naming a file outside the bundle: RNN4501", async () => {
    const huge = await bundleWith(
      manifestEdit((m) => ((m.limits as { batch: number }).batch = 1e9)),
    );
    await expect(BundleModel.load(huge, { backend: "cpu" })).rejects.toThrow(/RNN4501: .*"limits"/);
    const outside = await bundleWith(manifestEdit((m) => (m.weights = "../../etc/passwd")));
    await expect(BundleModel.load(outside, { backend: "cpu" })).rejects.toThrow(
      /RNN4501: .*inside the bundle/,
    );
    const params = await bundleWith(manifestEdit((m) => ((m.params as unknown[])[0] = 7)));
    await expect(BundleModel.load(params, { backend: "cpu" })).rejects.toThrow(
      /RNN4501: .*"params"/,
    );
  });

  it("a manifest whose limits disagree with its plans: RNN4504", async () => {
    const path = await bundleWith(manifestEdit((m) => ((m.limits as { batch: number }).batch = 5)));
    await expect(BundleModel.load(path, { backend: "reference" })).rejects.toThrow(
      /RNN4504: graph.json: input 'tokens' \[4, 6\] .*disagrees with manifest.json/,
    );
  });

  it("run inputs: a million sequences are refused before they are padded; NaN, odd shapes and lengths too", async () => {
    const path = await bundleWith(() => {});
    const model = await BundleModel.load(path, { backend: "cpu" });
    const many = Array.from({ length: 1_000_000 }, () => [1]);
    await expect(model.run({ ...BASE_INPUT, tokens: many })).rejects.toThrow(
      /RNN4509: .*batch 1000000/,
    );
    const long = [Array<number>(1_000_000).fill(1)];
    await expect(model.run({ tokens: long, extra: [[0, 0, 0]] })).rejects.toThrow(
      /RNN4509: .*1000000 steps/,
    );
    const big = {
      ...BASE_INPUT,
      extra: [
        [1e39, 0, 0],
        [0, 0, 0],
      ],
    };
    await expect(model.run(big)).rejects.toThrow(/RNN4507: .*float32 number, got 1e\+39/);
    const nan = { data: Float32Array.from([0, NaN, 0, 0, 0, 0]), shape: [2, 3] };
    await expect(model.run({ ...BASE_INPUT, extra: nan })).rejects.toThrow(
      /RNN4507: .*value 1 is NaN/,
    );
    const odd = { data: Float32Array.from([0, 0, 0]), shape: null as unknown as number[] };
    await expect(model.run({ ...BASE_INPUT, extra: odd })).rejects.toThrow(
      /RNN4508: .*shape must be a list/,
    );
    await expect(
      model.run(BASE_INPUT, { lengths: { T: 4 as unknown as number[] } }),
    ).rejects.toThrow(/RNN4510: lengths of T: expected a list/);
    model.destroy();
  });

  it("training data with 1e999 or a token id out of range: RNN4401", () => {
    const inputs = [{ name: "x", dtype: "float" as const, time: "T", dims: [1] }];
    expect(() => parseJsonLines('{"x": [[1e999]]}', inputs, "d.jsonl")).toThrow(
      /d.jsonl:1: x\[0\]\[0\]: expected a finite float32 number, got Infinity/,
    );
    const ids = [{ name: "t", dtype: "int" as const, time: "T", dims: [] }];
    expect(() => parseJsonLines('{"t": [3, 12]}', ids, "d.jsonl", new Map([["t", 10]]))).toThrow(
      /token id 12, outside the vocabulary/,
    );
    // An input named like an Object property is missing when the line lacks it.
    const odd = [{ name: "constructor", dtype: "float" as const, time: undefined, dims: [1] }];
    expect(() => parseJsonLines('{"x": [1]}', odd, "d.jsonl")).toThrow(
      /d.jsonl:1: missing input 'constructor'/,
    );
  });
});
