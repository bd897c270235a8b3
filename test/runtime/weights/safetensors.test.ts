import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WeightsError } from "../../../runtime/weights/errors.ts";
import {
  bf16ToNumber,
  f16ToNumber,
  numberToBf16,
  numberToF16,
  readSafetensors,
  tensor,
  writeSafetensors,
  type Tensor,
} from "../../../runtime/weights/safetensors.ts";
import {
  readSafetensorsFile,
  readSafetensorsFileSync,
  writeSafetensorsFile,
  writeSafetensorsFileSync,
} from "../../../runtime/weights/safetensors-file.ts";
import { FIXTURES_DIR, fixtureNames } from "../../fixtures/fixtures.ts";

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ["w64", tensor("F64", [2, 3], [0, 1.5, -2.25, 1e300, -1e-300, Math.PI])],
    ["w32", tensor("F32", [3], [1.5, -0.25, 3e38])],
    ["h16", tensor("F16", [4], [1, -2.5, 65504, 2 ** -24])],
    ["b16", tensor("BF16", [2], [1, -3.140625])],
    ["ids", tensor("I64", [2, 2], [0n, -1n, 2n ** 62n, -(2n ** 63n)])],
    ["i32", tensor("I32", [3], [2 ** 31 - 1, -(2 ** 31), 7])],
    ["u8", tensor("U8", [4], [0, 1, 128, 255])],
    ["mask", tensor("BOOL", [2, 2], [1, 0, 0, 1])],
    ["empty", tensor("F64", [0], [])],
    ["empty2", tensor("I32", [2, 0], [])],
    ["scalar", tensor("F64", [], [42.5])],
  ]);
}

/** A file from a header object and a data section, for malformed inputs. */
function rawFile(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerText?: string,
): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function errorOf(f: () => unknown): WeightsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return e as WeightsError;
  }
  throw new Error("expected a WeightsError");
}

describe("safetensors round trip", () => {
  it("keeps every dtype, shape, value and the metadata", () => {
    const tensors = sample();
    const bytes = writeSafetensors(tensors, { format: "pt", note: "ünïcode ok" });
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: "pt", note: "ünïcode ok" });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const r = back.tensors.get(name)!;
      expect(r.dtype, name).toBe(t.dtype);
      expect(r.shape, name).toEqual(t.shape);
      expect(r.data.constructor, name).toBe(t.data.constructor);
      expect([...r.data], name).toEqual([...t.data]);
    }
  });

  it("writes a spec-conforming header: '{' first, padded with spaces to 8 bytes", () => {
    const bytes = writeSafetensors(sample(), { a: "b" });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(bytes[8]).toBe(0x7b);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { data_offsets: number[]; dtype: string }>;
    expect(Object.keys(header)[0]).toBe("__metadata__");
    // Every tensor starts aligned to its element size (largest dtypes first).
    for (const [name, e] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const size = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U8: 1, BOOL: 1 }[e.dtype]!;
      expect((8 + n + e.data_offsets[0]!) % size, name).toBe(0);
    }
  });

  it("is deterministic whatever order the tensors come in", () => {
    const a = sample();
    const b = new Map([...a].reverse());
    const obj = Object.fromEntries([...a].sort(() => 0.5 - Math.random()));
    const bytes = writeSafetensors(a, { x: "1", y: "2" });
    expect(writeSafetensors(b, { y: "2", x: "1" })).toEqual(bytes);
    expect(writeSafetensors(obj, { x: "1", y: "2" })).toEqual(bytes);
  });

  it("writes and reads a file with no tensors", () => {
    const back = readSafetensors(writeSafetensors(new Map()));
    expect(back.tensors.size).toBe(0);
    expect(back.metadata).toEqual({});
  });

  it("reads tensors from an unaligned view of a larger buffer, and copies them", () => {
    const bytes = writeSafetensors(sample());
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const back = readSafetensors(big.subarray(3));
    big.fill(0);
    expect([...back.tensors.get("w64")!.data]).toEqual([0, 1.5, -2.25, 1e300, -1e-300, Math.PI]);
  });
});

describe("half precision", () => {
  it("converts float16 exactly where representable, rounding ties to even", () => {
    for (const v of [0, 1, -2.5, 65504, 2 ** -24, 2 ** -14, 0.5, -0, Infinity, -Infinity]) {
      expect(Object.is(f16ToNumber(numberToF16(v)), v), String(v)).toBe(true);
    }
    expect(f16ToNumber(numberToF16(1 + 2 ** -11))).toBe(1); // tie → even
    expect(f16ToNumber(numberToF16(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie → even (up)
    expect(f16ToNumber(numberToF16(65520))).toBe(Infinity); // rounds past the largest
    expect(f16ToNumber(numberToF16(2 ** -26))).toBe(0); // below half the smallest subnormal
    expect(f16ToNumber(numberToF16(3 * 2 ** -26))).toBe(2 ** -24);
    expect(f16ToNumber(numberToF16(0.1))).toBeCloseTo(0.0999755859375, 12);
    expect(Number.isNaN(f16ToNumber(numberToF16(NaN)))).toBe(true);
  });

  it("converts bfloat16, rounding ties to even", () => {
    for (const v of [0, 1, -3.140625, 2 ** 100, -Infinity]) {
      expect(bf16ToNumber(numberToBf16(v))).toBe(v);
    }
    expect(bf16ToNumber(numberToBf16(1 + 2 ** -8))).toBe(1);
    expect(bf16ToNumber(numberToBf16(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
    expect(Number.isNaN(bf16ToNumber(numberToBf16(NaN)))).toBe(true);
  });
});

describe("bad files give one clear error", () => {
  const f64 = (n: number) => new Uint8Array(new Float64Array(n).buffer);
  const cases: [string, Uint8Array, string, RegExp][] = [
    ["too short", new Uint8Array(5), "RNN4101", /5 bytes, but the header length alone takes 8/],
    [
      "header length past the end",
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      "RNN4101",
      /header length says 1000 bytes, but only 2 follow/,
    ],
    ["not JSON", rawFile(null, undefined, "{nope"), "RNN4101", /not valid JSON/],
    ["not an object", rawFile(null, undefined, "[1, 2]"), "RNN4101", /does not start with '\{'/],
    [
      "invalid UTF-8",
      (() => {
        const b = rawFile(null, undefined, '{"a":1}');
        b[10] = 0xff;
        return b;
      })(),
      "RNN4101",
      /not valid UTF-8/,
    ],
    [
      "unknown dtype",
      rawFile({ w: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
      "RNN4102",
      /tensor 'w': unknown dtype "F128"/,
    ],
    [
      "unsupported dtype",
      rawFile({ w: { dtype: "I16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)),
      "RNN4102",
      /tensor 'w': dtype I16 is not supported/,
    ],
    [
      "bad shape",
      rawFile({ w: { dtype: "F64", shape: [-1], data_offsets: [0, 8] } }, f64(1)),
      "RNN4102",
      /tensor 'w': shape must be a list of non-negative integers, got \[-1\]/,
    ],
    [
      "missing offsets",
      rawFile({ w: { dtype: "F64", shape: [1] } }, f64(1)),
      "RNN4102",
      /tensor 'w': data_offsets must be \[begin, end\]/,
    ],
    [
      "offsets that disagree with the shape",
      rawFile({ w: { dtype: "F64", shape: [2, 3], data_offsets: [0, 40] } }, f64(5)),
      "RNN4102",
      /tensor 'w': data_offsets \[0, 40\] hold 40 bytes, but F64 \[2, 3\] needs 48/,
    ],
    [
      "offsets out of bounds",
      rawFile({ w: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, f64(1)),
      "RNN4103",
      /tensor 'w': data_offsets \[0, 16\] are out of bounds: the data section has 8 bytes/,
    ],
    [
      "overlapping tensors",
      rawFile(
        {
          a: { dtype: "F64", shape: [2], data_offsets: [0, 16] },
          b: { dtype: "F64", shape: [2], data_offsets: [8, 24] },
        },
        f64(3),
      ),
      "RNN4103",
      /tensor 'b': bytes \[8, 24\) overlap tensor 'a' at \[0, 16\)/,
    ],
    [
      "a gap",
      rawFile(
        {
          a: { dtype: "F64", shape: [1], data_offsets: [0, 8] },
          b: { dtype: "F64", shape: [1], data_offsets: [16, 24] },
        },
        f64(3),
      ),
      "RNN4103",
      /bytes \[8, 16\) of the data section belong to no tensor \(a gap before 'b'\)/,
    ],
    [
      "trailing bytes",
      rawFile({ a: { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, f64(2)),
      "RNN4103",
      /8 bytes after the last tensor belong to no tensor/,
    ],
    [
      "metadata that is not strings",
      rawFile({ __metadata__: { epoch: 3 } }),
      "RNN4102",
      /__metadata__.epoch must be a string, got 3/,
    ],
    [
      "a BOOL that is neither 0 nor 1",
      rawFile({ m: { dtype: "BOOL", shape: [2], data_offsets: [0, 2] } }, new Uint8Array([1, 2])),
      "RNN4102",
      /tensor 'm': BOOL element 1 is 2, not 0 or 1/,
    ],
  ];
  for (const [what, bytes, code, message] of cases) {
    it(what, () => {
      const e = errorOf(() => readSafetensors(bytes, "model.safetensors"));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(/^RNN41\d\d: model\.safetensors: /);
      expect(e.message).toMatch(message);
    });
  }

  it("truncated real files fail cleanly at every length", () => {
    const bytes = writeSafetensors(sample(), { a: "b" });
    for (let n = 0; n < bytes.length; n += 7) {
      const e = errorOf(() => readSafetensors(bytes.subarray(0, n)));
      expect(e.code).toMatch(/^RNN410[123]$/);
    }
  });
});

describe("the writer refuses inconsistent tensors, listing all", () => {
  it("data length, array type, BOOL values, reserved name", () => {
    const e = errorOf(() =>
      writeSafetensors({
        a: { dtype: "F64", shape: [2, 2], data: new Float64Array(3) },
        b: { dtype: "F32", shape: [1], data: new Float64Array(1) },
        c: { dtype: "BOOL", shape: [1], data: new Uint8Array([3]) },
        __metadata__: { dtype: "F64", shape: [], data: new Float64Array(1) },
      }),
    );
    expect(e.code).toBe("RNN4104");
    expect(e.problems).toEqual([
      "tensor 'a': shape [2, 2] has 4 elements, but the data has 3",
      "tensor 'b': a F32 tensor's data must be a Float32Array, got Float64Array",
      "tensor 'c': BOOL element 0 is 3, not 0 or 1",
      "a tensor cannot be named __metadata__",
    ]);
  });

  it("tensor() checks the number of values", () => {
    expect(errorOf(() => tensor("F32", [2, 2], [1, 2, 3])).message).toMatch(
      /F32 tensor of shape \[2, 2\] needs 4 values, got 3/,
    );
  });
});

describe("files written by make_fixtures.py", () => {
  it("reads every dtype the Python script wrote, exactly", () => {
    const { tensors, metadata } = readSafetensorsFileSync(
      join(FIXTURES_DIR, "safetensors/all_dtypes.safetensors"),
    );
    expect(metadata).toEqual({
      format: "pt",
      generator: "test/fixtures/make_fixtures.py",
      purpose: "every dtype",
    });
    const values = (name: string) => [...tensors.get(name)!.data];
    const shape = (name: string) => tensors.get(name)!.shape;
    expect(values("f64")).toEqual([0, 1.5, -2.25, 1e300, -1e-300, Math.PI]);
    expect(shape("f64")).toEqual([2, 3]);
    expect(values("f32")).toEqual([1.5, -0.25, Math.fround(3e38)]);
    expect(values("f16")).toEqual([1, -2.5, 65504, 2 ** -24, -0, Infinity]);
    expect(Object.is(values("f16")[4], -0)).toBe(true);
    expect(values("bf16")).toEqual([1, -3.140625, 2 ** 100]);
    expect(values("i64")).toEqual([0n, -1n, 2n ** 62n, -(2n ** 63n)]);
    expect(values("i32")).toEqual([2 ** 31 - 1, -(2 ** 31), 7]);
    expect(values("u8")).toEqual([0, 1, 128, 255]);
    expect(values("bool")).toEqual([1, 0, 0, 1]);
    expect(tensors.get("bool")!.dtype).toBe("BOOL");
    expect(shape("empty")).toEqual([0]);
    expect(shape("empty_2x0")).toEqual([2, 0]);
    expect(shape("scalar")).toEqual([]);
    expect(values("scalar")).toEqual([42.5]);
  });

  it("writes the same bytes as the Python script for every fixture", () => {
    const files = [
      "safetensors/all_dtypes.safetensors",
      ...fixtureNames().map((n) => `${n}.safetensors`),
    ];
    for (const f of files) {
      const bytes = readFileSync(join(FIXTURES_DIR, f));
      const { tensors, metadata } = readSafetensors(bytes, f);
      expect(Buffer.from(writeSafetensors(tensors, metadata)).equals(bytes), f).toBe(true);
    }
  });
});

describe("files are written atomically", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-weights-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes, overwrites and leaves no temporary file behind (sync and async)", async () => {
    const path = join(dir, "w.safetensors");
    writeFileSync(path, "old contents");
    writeSafetensorsFileSync(path, sample(), { step: "1" });
    expect(readSafetensorsFileSync(path).metadata).toEqual({ step: "1" });
    await writeSafetensorsFile(path, sample(), { step: "2" });
    const back = await readSafetensorsFile(path);
    expect(back.metadata).toEqual({ step: "2" });
    expect(back.tensors.size).toBe(sample().size);
    expect(readdirSync(dir)).toEqual(["w.safetensors"]);
  });

  it("reports a folder that does not exist as one error, and writes nothing", async () => {
    const path = join(dir, "missing", "w.safetensors");
    const e = errorOf(() => writeSafetensorsFileSync(path, sample()));
    expect(e.code).toBe("RNN4110");
    expect(e.message).toContain(`cannot write '${path}': no such file or folder`);
    await expect(writeSafetensorsFile(path, sample())).rejects.toThrow(/RNN4110/);
    expect(readdirSync(dir)).toEqual(["w.safetensors"]);
  });

  it("does not replace the old file when the tensors are bad", () => {
    const path = join(dir, "w.safetensors");
    const before = readFileSync(path);
    expect(() =>
      writeSafetensorsFileSync(path, {
        a: { dtype: "F64", shape: [2], data: new Float64Array(1) },
      }),
    ).toThrow(/RNN4104/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("reports a missing file by name", () => {
    const e = errorOf(() => readSafetensorsFileSync(join(dir, "nope.safetensors")));
    expect(e.code).toBe("RNN4110");
    expect(e.message).toMatch(/cannot read '.*nope\.safetensors': no such file or folder/);
  });
});
