/**
 * The naive planner's bookkeeping: one plan buffer per value (aliases share one), shaders
 * deduplicated by source, dispatches in the order they are emitted.
 */
import type { DType, Node } from "../../ir/node.ts";
import {
  elementCount,
  type BufferRole,
  type PlanDispatch,
  type PlanDType,
  type PlanShader,
} from "../../../runtime/webgpu/plan.ts";

export class PlanGraphError extends Error {
  override readonly name = "PlanGraphError";
}

export const DTYPES: Record<DType, PlanDType> = { float: "f32", int: "i32" };

export interface MutableBuffer {
  id: number;
  byteSize: number;
  dtype: PlanDType;
  role: BufferRole;
  shape: readonly number[];
  name?: string;
  fillBits?: number;
}

const bits = new DataView(new ArrayBuffer(4));

export function fillBitsOf(value: number, dtype: PlanDType): number {
  if (dtype === "f32") bits.setFloat32(0, value, true);
  else bits.setInt32(0, value, true);
  return bits.getUint32(0, true);
}

/** Element (o, j, l) of `shape` around `axis` is at (o * n + j) * inner + l. */
export function around(shape: readonly number[], axis: number) {
  return {
    outer: elementCount(shape.slice(0, axis)),
    n: shape[axis]!,
    inner: elementCount(shape.slice(axis + 1)),
  };
}

export function num(node: Node, key: string): number {
  const v = node.attrs[key];
  if (typeof v !== "number") throw new PlanGraphError(`%${node.id} ${node.op}: no '${key}'`);
  return v;
}

/** Builds the plan: buffers, deduplicated shaders and dispatches, in node order. */
export class Planner {
  readonly buffers: MutableBuffer[] = [];
  readonly shaders: PlanShader[] = [];
  readonly dispatches: PlanDispatch[] = [];
  private readonly shaderIndex = new Map<string, number>();
  private readonly bufferOf = new Map<Node, number>();

  buffer(node: Node): number {
    const id = this.bufferOf.get(node);
    if (id === undefined) throw new PlanGraphError(`internal: %${node.id} has no buffer yet`);
    return id;
  }

  allocate(node: Node, role: BufferRole, extra: Partial<MutableBuffer> = {}): number {
    const id = this.buffers.length;
    this.buffers.push({
      id,
      byteSize: Math.max(4, elementCount(node.shape) * 4),
      dtype: DTYPES[node.dtype],
      role,
      shape: [...node.shape],
      ...extra,
    });
    this.bufferOf.set(node, id);
    return id;
  }

  alias(node: Node, of: Node): void {
    this.bufferOf.set(node, this.buffer(of));
  }

  /** A fresh temp for `node`, then one dispatch (none when `count` is 0). */
  emit(
    node: Node,
    shader: PlanShader,
    operands: readonly Node[],
    uniforms: number[],
    workgroups: [number, number, number],
  ): void {
    const out = this.allocate(node, "temp");
    this.dispatch(
      node,
      shader,
      [...operands.map((n) => this.buffer(n)), out],
      uniforms,
      workgroups,
    );
  }

  dispatch(
    node: Node,
    shader: PlanShader,
    buffers: number[],
    uniforms: number[],
    workgroups: [number, number, number],
  ): void {
    if (workgroups[0] * workgroups[1] * workgroups[2] === 0) return;
    let index = this.shaderIndex.get(shader.code);
    if (index === undefined) {
      index = this.shaders.length;
      this.shaders.push(shader);
      this.shaderIndex.set(shader.code, index);
    }
    this.dispatches.push({
      shader: index,
      buffers,
      uniforms,
      workgroups,
      label: `%${node.id} ${node.op}`,
    });
  }
}
