/**
 * The shape of a stored plan file (plan.*.json), checked before the executors see it: the
 * executors' own check (runtime/webgpu/plan.ts validatePlan) follows references between
 * buffers, shaders and dispatches but trusts the types, so a file that passes the manifest's
 * hash yet was written wrong (a hand edit, a damaged copy re-hashed) must be refused here,
 * with RNN4504, before a buffer is allocated for it.
 */
import { BUNDLE_CODES, BundleError } from "./errors.ts";
import type { StoredPlan } from "./kernels.ts";

/** No device holds more in one buffer, or in all of a plan's. */
const MAX_BUFFER_BYTES = 2 ** 32;
const MAX_PLAN_BYTES = 2 ** 34;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isInts = (v: unknown, min = 0, max?: number): v is number[] =>
  Array.isArray(v) && v.every((x) => isInt(x, min, max));
const DTYPES = ["f32", "i32"];
const ROLES = ["input", "param", "constant", "temp", "output", "arena"];

function problem(plan: Record<string, unknown>): string | undefined {
  if (!isInt(plan.version)) return "its version must be a number";
  if (
    !Array.isArray(plan.buffers) ||
    !Array.isArray(plan.shaders) ||
    !Array.isArray(plan.dispatches)
  )
    return "buffers, shaders and dispatches must be lists";
  let total = 0;
  for (const [i, b] of plan.buffers.entries()) {
    if (
      !isObject(b) ||
      !isInt(b.id) ||
      !isInt(b.byteSize, 4, MAX_BUFFER_BYTES) ||
      !DTYPES.includes(b.dtype as string) ||
      !ROLES.includes(b.role as string) ||
      !isInts(b.shape, 0, MAX_BUFFER_BYTES) ||
      (b.name !== undefined && typeof b.name !== "string") ||
      (b.fillBits !== undefined && !isInt(b.fillBits, 0, 2 ** 32 - 1)) ||
      (b.view !== undefined && !(isObject(b.view) && isInt(b.view.of) && isInt(b.view.byteOffset)))
    )
      return `buffer ${i} is malformed`;
    if (b.view === undefined) total += b.byteSize;
  }
  if (total > MAX_PLAN_BYTES) return `its buffers take ${total} bytes, more than any device holds`;
  for (const [i, s] of plan.shaders.entries())
    if (
      !isObject(s) ||
      typeof s.name !== "string" ||
      typeof s.entryPoint !== "string" ||
      !Array.isArray(s.layout) ||
      !s.layout.every((a) => a === "read" || a === "read_write") ||
      (s.language !== undefined && s.language !== "wgsl" && s.language !== "js") ||
      (s.code !== undefined && typeof s.code !== "string") ||
      (s.kernel !== undefined && !isInt(s.kernel))
    )
      return `shader ${i} is malformed`;
  for (const [i, d] of plan.dispatches.entries())
    if (
      !isObject(d) ||
      !isInt(d.shader) ||
      !isInts(d.buffers) ||
      !isInts(d.uniforms, 0, 2 ** 32 - 1) ||
      !isInts(d.workgroups) ||
      d.workgroups.length !== 3 ||
      typeof d.label !== "string" ||
      (d.when !== undefined && d.when !== "params")
    )
      return `dispatch ${i} is malformed`;
  for (const table of ["inputs", "params", "outputs"]) {
    const entries = plan[table];
    if (!isObject(entries)) return `${table} must be an object`;
    for (const [name, t] of Object.entries(entries))
      if (
        !isObject(t) ||
        !isInt(t.buffer) ||
        !isInts(t.shape) ||
        !DTYPES.includes(t.dtype as string) ||
        (t.required !== undefined && typeof t.required !== "boolean")
      )
        return `${table} '${name}' is malformed`;
  }
  return undefined;
}

/** Throws RNN4504 unless `json` has the types of a stored plan (references are checked later). */
export function checkStoredPlan(json: unknown, path: string): asserts json is StoredPlan {
  const why = isObject(json) ? problem(json) : "not an object";
  if (why)
    throw new BundleError(BUNDLE_CODES.corruptFile, `${path}: not an execution plan (${why})`);
}
