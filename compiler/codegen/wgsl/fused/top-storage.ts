/**
 * Where the values outside recurrences live in a fused plan, and how a kernel reads them:
 * inputs in their own buffers, parameters in the params arena, everything a kernel writes
 * (kernel results, scan results) in the work arena, reshapes and same-type casts of a stored
 * value in their source's place. Arena offsets are in 4-byte words, assigned by liveness.
 */
import type { Node } from "../../../ir/node.ts";
import { flatIndex, wgslType, type Reader, type Scope } from "./element-fns.ts";
import type { ShaderModule } from "./shader-module.ts";

export type Placement =
  | { readonly kind: "input"; readonly buffer: number }
  | { readonly kind: ArenaName; readonly owner: Node };

/**
 * params: parameters as given; derived: values computed from parameters alone (written by
 * "params" kernels, read-only elsewhere); work: everything else a kernel writes.
 */
export type ArenaName = "params" | "derived" | "work";

export class TopStorage {
  private readonly places = new Map<Node, Placement>();
  /** Word offsets in their arena of the nodes that own arena space. */
  readonly offsets = new Map<Node, number>();

  constructor(readonly arenas: Readonly<Record<ArenaName, number>>) {}

  place(node: Node, placement: Placement): void {
    this.places.set(node, placement);
  }

  placement(node: Node): Placement | undefined {
    return this.places.get(node);
  }

  isStored(node: Node): boolean {
    return this.places.has(node);
  }

  /** The word offset of a stored node in its arena. */
  offset(node: Node): number {
    const p = this.places.get(node);
    if (!p || p.kind === "input") throw new Error(`internal: %${node.id} is not in an arena`);
    const at = this.offsets.get(p.owner);
    if (at === undefined) throw new Error(`internal: %${p.owner.id} has no arena offset`);
    return at;
  }

  /** A scope reading stored values through `module`'s bindings; `except` is computed instead. */
  scope(module: ShaderModule, except?: Node): Scope {
    return {
      prefix: "g",
      reader: (node) => (node === except ? undefined : this.reader(module, node)),
    };
  }

  /**
   * The arena holding `node` as `module` binds it: read_write for the work arena (kernels
   * write there) and for the arena `module` writes (`writing`), read elsewhere.
   */
  arena(module: ShaderModule, name: ArenaName, writing?: ArenaName): string {
    const access = name === "work" || name === writing ? "read_write" : "read";
    return module.bind(this.arenas[name], name, "u32", access);
  }

  /** Where a kernel of `module` writes `node`: the WGSL array and the word offset. */
  target(module: ShaderModule, node: Node): { array: string; at: number } {
    const p = this.places.get(node);
    if (!p || p.kind === "input" || p.kind === "params")
      throw new Error(`internal: %${node.id} is not a kernel result`);
    return { array: this.arena(module, p.kind, p.kind), at: this.offset(node) };
  }

  private reader(module: ShaderModule, node: Node): Reader | undefined {
    const p = this.places.get(node);
    if (!p) return undefined;
    const type = wgslType(node);
    if (p.kind === "input") {
      const name = module.bind(p.buffer, `in${p.buffer}`, type, "read");
      return (idx) => `${name}[${flatIndex(node.shape, idx)}]`;
    }
    const arena = this.arena(module, p.kind);
    const at = this.offset(node);
    return (idx) => `bitcast<${type}>(${arena}[${at}u + ${flatIndex(node.shape, idx)}])`;
  }
}
