/**
 * Ways to damage a file, for the loader fuzzers: bytes (bit flips, overwrites, truncation,
 * growth, cut and repeated ranges), JSON (a random value anywhere in the tree replaced by a
 * hostile one: wrong types, negative, fractional, huge or non-finite numbers, long strings,
 * deep or long arrays; keys dropped or added), and safetensors (a header length claiming
 * terabytes, entries with absurd shapes, offsets or dtypes, NaN and infinity in the data).
 * Each returns the damaged copy and a short name of what it did.
 */
import type { Rng } from "./rng.ts";

export interface Damage {
  readonly bytes: Uint8Array;
  readonly how: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Generic damage to any file's bytes. */
export function damageBytes(original: Uint8Array, rng: Rng): Damage {
  const bytes = Uint8Array.from(original);
  const n = bytes.length;
  const at = () => rng.int(Math.max(1, n));
  switch (rng.int(7)) {
    case 0: {
      const flips = rng.pick([1, 1, 2, 8]);
      for (let i = 0; i < flips && n > 0; i++) bytes[at()]! ^= 1 << rng.int(8);
      return { bytes, how: `${flips} bit flip${flips > 1 ? "s" : ""}` };
    }
    case 1: {
      const p = at();
      const len = rng.range(1, 16);
      for (let i = p; i < Math.min(n, p + len); i++) bytes[i] = rng.pick([0, 0xff, rng.int(256)]);
      return { bytes, how: "bytes overwritten" };
    }
    case 2:
      return { bytes: bytes.subarray(0, rng.int(n + 1)), how: "truncated" };
    case 3: {
      const extra = new Uint8Array(rng.pick([1, 8, 1000]));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.chance(0.5) ? 0 : rng.int(256);
      return { bytes: concat(bytes, extra), how: "bytes appended" };
    }
    case 4: {
      const p = at();
      return {
        bytes: concat(bytes.subarray(0, p), bytes.subarray(p + rng.range(1, 64))),
        how: "range cut",
      };
    }
    case 5: {
      const p = at();
      const q = Math.min(n, p + rng.range(1, 64));
      return {
        bytes: concat(bytes.subarray(0, q), bytes.subarray(p, q), bytes.subarray(q)),
        how: "range repeated",
      };
    }
    default:
      return { bytes: new Uint8Array(0), how: "empty" };
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ── JSON ─────────────────────────────────────────────────────────────────────────────────────

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values that are wrong almost anywhere. */
function hostileValue(rng: Rng): Json {
  switch (rng.int(16)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([-1, 0, -0.5, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 5e-324]);
    case 3:
      return rng.pick(["", "B", "T", "x", "NaN", "Infinity", "../../../etc/passwd", "/dev/zero"]);
    case 4:
      return "A".repeat(rng.pick([1000, 100_000]));
    case 5:
      return [];
    case 6:
      return {};
    case 7: {
      let v: Json = 1;
      for (let i = 0, d = rng.pick([10, 100, 1000]); i < d; i++) v = [v];
      return v;
    }
    case 8:
      return Array<Json>(rng.pick([3, 1000, 100_000])).fill(rng.pick([0, 1e9, "B"]));
    case 9:
      return [rng.pick([1e12, 2 ** 40, 1e15]), rng.pick([1e12, 2 ** 40])];
    case 10:
      return JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "toString": 2}');
    case 11:
      return rng.pick([1e9, 2 ** 32, 1e15, 2 ** 53]);
    default:
      return rng.int(10);
  }
}

/** Every [parent, key] of the tree, the root's children included. */
function slots(
  root: Json,
  skip: readonly string[],
): [Json[] | Record<string, Json>, string | number][] {
  const out: [Json[] | Record<string, Json>, string | number][] = [];
  const stack: Json[] = [root];
  while (stack.length > 0 && out.length < 100_000) {
    const v = stack.pop()!;
    if (Array.isArray(v)) v.forEach((c, i) => (out.push([v, i]), stack.push(c)));
    else if (v !== null && typeof v === "object")
      for (const [k, c] of Object.entries(v))
        if (!skip.includes(k)) (out.push([v, k]), stack.push(c));
  }
  return out;
}

/**
 * A JSON value with one to three of its values replaced, dropped or added; values under the
 * keys `skip` stay (a plan's JavaScript kernels are code, not data to damage).
 */
export function damageJsonValue(
  value: unknown,
  rng: Rng,
  skip: readonly string[] = [],
): { value: unknown; how: string } {
  const root = structuredClone(value) as Json;
  const hows: string[] = [];
  for (let i = 0, n = rng.pick([1, 1, 2, 3]); i < n; i++) {
    const all = slots(root, skip);
    if (all.length === 0) break;
    const [parent, key] = rng.pick(all);
    const action = rng.int(6);
    if (action === 0 && !Array.isArray(parent)) {
      delete (parent as Record<string, Json>)[key];
      hows.push(`dropped .${key}`);
    } else if (action === 1 && !Array.isArray(parent)) {
      (parent as Record<string, Json>)[rng.pick(["extra", "__proto__", "constructor", `${key}2`])] =
        hostileValue(rng);
      hows.push("key added");
    } else if (action === 2 && typeof (parent as Record<string, Json>)[key] === "number") {
      const old = (parent as Record<string, number>)[key]!;
      (parent as Record<string, Json>)[key] = rng.pick([
        old + 1,
        old - 1,
        -old,
        old * 1000,
        old + 0.5,
      ]);
      hows.push(`number .${key} nudged`);
    } else {
      (parent as Record<string, Json>)[key] = hostileValue(rng);
      hows.push(`.${key} replaced`);
    }
  }
  return { value: root, how: hows.join(", ") || "unchanged" };
}

/** A JSON file damaged as text (bytes) or as a tree. */
export function damageJson(original: Uint8Array, rng: Rng, skip: readonly string[] = []): Damage {
  if (skip.length === 0 && rng.chance(0.4)) return damageBytes(original, rng);
  const { value, how } = damageJsonValue(JSON.parse(decoder.decode(original)), rng, skip);
  return { bytes: encoder.encode(JSON.stringify(value)), how: `JSON: ${how}` };
}

// ── safetensors ──────────────────────────────────────────────────────────────────────────────

function header(bytes: Uint8Array): { json: Record<string, Json>; dataStart: number } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { json: JSON.parse(decoder.decode(bytes.subarray(8, 8 + n))), dataStart: 8 + n };
}

function withHeader(json: unknown, data: Uint8Array): Uint8Array {
  const text = encoder.encode(JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

const ENTRY_DAMAGE: readonly ((e: Record<string, Json>, rng: Rng) => string)[] = [
  (e, rng) => (
    (e.dtype = rng.pick([
      "F16",
      "BF16",
      "I64",
      "I32",
      "U8",
      "BOOL",
      "I8",
      "F8_E4M3",
      "X",
      7,
      null,
    ])),
    "dtype"
  ),
  (e, rng) => (
    (e.shape = rng.pick<Json>([
      [1e12, 1e12],
      [2 ** 53],
      [2 ** 40, 0],
      [-1],
      [1.5],
      [],
      "3",
      [0],
      Array<Json>(10_000).fill(1),
      [2 ** 31, 2 ** 31, 2 ** 31],
    ])),
    "shape"
  ),
  (e, rng) => (
    (e.data_offsets = rng.pick<Json>([
      [0, 2 ** 60],
      [5, 3],
      [0],
      [-4, 0],
      ["0", "4"],
      [0, 1.5],
      null,
      [2 ** 53, 2 ** 53 + 8],
    ])),
    "offsets"
  ),
];

/** A safetensors file damaged in its header length, its header's entries or its data. */
export function damageSafetensors(original: Uint8Array, rng: Rng): Damage {
  const roll = rng.int(10);
  if (roll < 3) return damageBytes(original, rng);
  const { json, dataStart } = header(original);
  const data = original.subarray(dataStart);
  if (roll === 3) {
    const bytes = Uint8Array.from(original);
    const claim = rng.pick([
      0n,
      1n,
      7n,
      2n ** 40n,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      BigInt(dataStart - 7),
    ]);
    new DataView(bytes.buffer).setBigUint64(0, claim, true);
    return { bytes, how: `header length ${claim}` };
  }
  const names = Object.keys(json).filter((k) => k !== "__metadata__");
  if (roll <= 6 && names.length > 0) {
    const entry = json[rng.pick(names)] as Record<string, Json>;
    const what = rng.pick(ENTRY_DAMAGE)(entry, rng);
    return { bytes: withHeader(json, data), how: `entry ${what}` };
  }
  if (roll === 7) {
    const { value, how } = damageJsonValue(json, rng);
    return { bytes: withHeader(value, data), how: `header: ${how}` };
  }
  // The data: a float32 of the first F32 tensor becomes NaN or an infinity.
  const f32 = names.find((k) => (json[k] as Record<string, Json>).dtype === "F32");
  if (!f32) return damageBytes(original, rng);
  const [begin, end] = (json[f32] as { data_offsets: [number, number] }).data_offsets;
  const bytes = Uint8Array.from(original);
  const view = new DataView(bytes.buffer);
  const index = rng.int(Math.max(1, (end - begin) / 4));
  const value = rng.pick([NaN, Infinity, -Infinity]);
  view.setFloat32(dataStart + begin + 4 * index, value, true);
  return { bytes, how: `data: ${value}` };
}
