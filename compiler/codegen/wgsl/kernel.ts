/**
 * The typed pieces every naive WGSL kernel is built from:
 *
 * - `UniformLayout`: a kernel family's uniform block, as named u32/i32/f32 fields and arrays.
 *   The one object both packs a dispatch's words (TypeScript side) and declares the WGSL
 *   offsets and accessors (`u_count()`, `u_dims(k)`, `U_DIMS`), so the two cannot drift.
 * - `WgslFn`: a named WGSL helper function with the helpers it calls.
 * - `renderKernel`: binding declarations, the uniform accessors, the helpers (each once, in
 *   dependency order) and the entry point around a family's body statements.
 *
 * Entry points: "linear" kernels run one invocation per element in workgroups of 64 on a 2D
 * grid (x then y, so more than 65535 workgroups fit); the body sees `i`, already checked
 * against `u_count()`. "tiles" kernels run 8x8 workgroups over a linear tile index `tile`
 * (2D grid likewise) with `lx`, `ly` the invocation's place in its tile.
 */
import {
  UNIFORM_WORDS,
  type BindingAccess,
  type PlanShader,
} from "../../../runtime/webgpu/plan.ts";

export const LINEAR_WORKGROUP = 64;
export const TILE = 8;
/** The most workgroups along one grid dimension that every WebGPU device allows. */
export const MAX_GROUPS_PER_DIM = 65535;

export type Scalar = "u32" | "i32" | "f32";
export type FieldType = Scalar | readonly [Scalar, number];
export type FieldValue<T extends FieldType> = T extends Scalar ? number : readonly number[];

const f32Bits = new DataView(new ArrayBuffer(4));

/** The u32 word that stores `value` as a field of type `type`. */
function wordOf(value: number, type: Scalar): number {
  if (type === "f32") {
    f32Bits.setFloat32(0, value, true);
    return f32Bits.getUint32(0, true);
  }
  if (!Number.isInteger(value)) throw new Error(`uniform value ${value} is not an integer`);
  return value >>> 0;
}

function scalarOf(type: FieldType): Scalar {
  return typeof type === "string" ? type : type[0];
}

function lengthOf(type: FieldType): number {
  return typeof type === "string" ? 1 : type[1];
}

export class UniformLayout<F extends Record<string, FieldType>> {
  private readonly offsets = new Map<string, number>();
  readonly words: number;

  constructor(readonly fields: F) {
    let at = 0;
    for (const [name, type] of Object.entries(fields)) {
      this.offsets.set(name, at);
      at += lengthOf(type);
    }
    if (at > UNIFORM_WORDS) throw new Error(`uniform layout of ${at} words > ${UNIFORM_WORDS}`);
    this.words = at;
  }

  offset(name: keyof F & string): number {
    return this.offsets.get(name)!;
  }

  /** The dispatch's words; arrays shorter than their field are zero-padded. */
  pack(values: { readonly [K in keyof F]: FieldValue<F[K]> }): number[] {
    const out = new Array<number>(this.words).fill(0);
    for (const [name, type] of Object.entries(this.fields)) {
      const at = this.offsets.get(name)!;
      const value = values[name] as number | readonly number[];
      const list = typeof value === "number" ? [value] : value;
      if (list.length > lengthOf(type))
        throw new Error(`uniform '${name}' holds ${lengthOf(type)} values, got ${list.length}`);
      list.forEach((v, k) => (out[at + k] = wordOf(v, scalarOf(type))));
    }
    return out;
  }

  /** WGSL: an offset constant and an accessor per field. */
  wgsl(): string[] {
    const lines: string[] = [];
    for (const [name, type] of Object.entries(this.fields)) {
      const at = this.offsets.get(name)!;
      const scalar = scalarOf(type);
      const read = (index: string) =>
        scalar === "u32" ? `word(${index})` : `bitcast<${scalar}>(word(${index}))`;
      lines.push(`const U_${name.toUpperCase()} = ${at}u;`);
      if (typeof type === "string") {
        lines.push(`fn u_${name}() -> ${scalar} { return ${read(`${at}u`)}; }`);
      } else {
        lines.push(`fn u_${name}(k: u32) -> ${scalar} { return ${read(`${at}u + k`)}; }`);
      }
    }
    return lines;
  }
}

/** Binding 0 of every plan shader: the dispatch's block of UNIFORM_WORDS u32 words. */
export const UNIFORM_BLOCK = [
  `struct Uniforms { w: array<vec4<u32>, ${UNIFORM_WORDS / 4}> }`,
  "@group(0) @binding(0) var<uniform> uniforms: Uniforms;",
] as const;

/** Word k of the uniform block (the accessors of a UniformLayout call it). */
export const WORD_FN = "fn word(k: u32) -> u32 { return uniforms.w[k >> 2u][k & 3u]; }";

export interface WgslFn {
  readonly name: string;
  readonly code: string;
  readonly uses?: readonly WgslFn[];
}

export interface StorageBinding {
  readonly name: string;
  readonly type: Scalar;
  readonly access: BindingAccess;
}

export interface KernelSpec {
  /** The family's name: the shader's name in the plan and its first comment line. */
  readonly name: string;
  readonly uniforms: UniformLayout<Record<string, FieldType>>;
  readonly buffers: readonly StorageBinding[];
  readonly helpers?: readonly WgslFn[];
  readonly entry: "linear" | "tiles";
  readonly body: readonly string[];
}

/** Storage binding shorthands. */
export const read = (name: string, type: Scalar): StorageBinding => ({
  name,
  type,
  access: "read",
});
export const write = (name: string, type: Scalar): StorageBinding => ({
  name,
  type,
  access: "read_write",
});

export function collectHelpers(roots: readonly WgslFn[]): WgslFn[] {
  const out: WgslFn[] = [];
  const seen = new Set<string>();
  const visit = (f: WgslFn) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const dep of f.uses ?? []) visit(dep);
    out.push(f);
  };
  roots.forEach(visit);
  return out;
}

const LINEAR_MAIN = [
  `@compute @workgroup_size(${LINEAR_WORKGROUP})`,
  "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,",
  "        @builtin(local_invocation_index) lane: u32) {",
  `  let i = (wg.y * groups.x + wg.x) * ${LINEAR_WORKGROUP}u + lane;`,
  "  if (i >= u_count()) { return; }",
];

const TILES_MAIN = [
  `@compute @workgroup_size(${TILE}, ${TILE})`,
  "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,",
  "        @builtin(local_invocation_id) local: vec3u) {",
  "  let tile = wg.y * groups.x + wg.x;",
  "  let lx = local.x;",
  "  let ly = local.y;",
];

/** The complete WGSL module of a kernel family, and its binding layout. */
export function renderKernel(spec: KernelSpec): PlanShader {
  if (spec.entry === "linear" && !("count" in spec.uniforms.fields))
    throw new Error(`${spec.name}: a linear kernel needs a 'count' uniform`);
  const lines = [
    `// rnnc naive kernel: ${spec.name}`,
    ...UNIFORM_BLOCK,
    ...spec.buffers.map(
      (b, k) =>
        `@group(0) @binding(${k + 1}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`,
    ),
    "",
    WORD_FN,
    ...spec.uniforms.wgsl(),
    "",
    ...collectHelpers(spec.helpers ?? []).map((f) => f.code.trim() + "\n"),
    ...(spec.entry === "linear" ? LINEAR_MAIN : TILES_MAIN),
    ...spec.body.map((line) => `  ${line}`),
    "}",
    "",
  ];
  return {
    name: spec.name,
    code: lines.join("\n"),
    entryPoint: "main",
    layout: spec.buffers.map((b) => b.access),
  };
}

/** A 2D grid of `groups` workgroups: x up to MAX_GROUPS_PER_DIM, then rows of those. */
export function grid(groups: number): [number, number, number] {
  if (groups === 0) return [0, 0, 0];
  const x = Math.min(groups, MAX_GROUPS_PER_DIM);
  const y = Math.ceil(groups / x);
  if (y > MAX_GROUPS_PER_DIM) throw new Error(`${groups} workgroups do not fit a 2D grid`);
  return [x, y, 1];
}

/** The grid of a linear kernel over `count` invocations. */
export function linearGrid(count: number): [number, number, number] {
  return grid(Math.ceil(count / LINEAR_WORKGROUP));
}
