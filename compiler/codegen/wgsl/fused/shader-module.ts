/**
 * One fused WGSL module under construction: the storage buffers it binds (each once, in the
 * order first used), module-scope declarations (workgroup memory, private variables), the
 * element functions it calls and the entry point. Every fused kernel shares one uniform block
 * layout, FUSED_UNIFORMS: the run's batch size and sequence length.
 */
import {
  UNIFORM_WORDS,
  type BindingAccess,
  type PlanShader,
} from "../../../../runtime/webgpu/plan.ts";
import { collectHelpers, UNIFORM_BLOCK, UniformLayout, WORD_FN } from "../kernel.ts";
import { ElementFns } from "./element-fns.ts";

/** The uniforms of every fused kernel: rows of the batch and steps of the sequence in use. */
export const FUSED_UNIFORMS = new UniformLayout({ batch: "u32", steps: "u32" });

interface Binding {
  readonly buffer: number;
  readonly name: string;
  readonly type: "u32" | "f32" | "i32";
  readonly access: BindingAccess;
}

export class ShaderModule {
  readonly fns = new ElementFns();
  private readonly bindings: Binding[] = [];
  private readonly decls: string[] = [];

  constructor(readonly name: string) {}

  /**
   * The WGSL name of plan buffer `buffer`, bound on first use. A buffer both read and
   * written by the kernel is bound once, read_write.
   */
  bind(buffer: number, name: string, type: Binding["type"], access: BindingAccess): string {
    const k = this.bindings.findIndex((b) => b.buffer === buffer);
    if (k < 0) {
      this.bindings.push({ buffer, name, type, access });
      return name;
    }
    const found = this.bindings[k]!;
    if (found.type !== type) throw new Error(`internal: buffer ${buffer} bound as two types`);
    if (access === "read_write") this.bindings[k] = { ...found, access };
    return found.name;
  }

  declare(line: string): void {
    if (!this.decls.includes(line)) this.decls.push(line);
  }

  /** The plan shader and the buffers its dispatch binds, in binding order. */
  render(entry: readonly string[]): { shader: PlanShader; buffers: number[] } {
    const helpers = collectHelpers([...this.fns.helpers]);
    const lines = [
      `// rnnc fused kernel: ${this.name}`,
      ...UNIFORM_BLOCK,
      ...this.bindings.map(
        (b, k) =>
          `@group(0) @binding(${k + 1}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`,
      ),
      ...this.decls,
      "",
      WORD_FN,
      ...FUSED_UNIFORMS.wgsl(),
      "",
      ...helpers.map((f) => f.code.trim() + "\n"),
      ...this.fns.functions().map((f) => f + "\n"),
      ...entry,
      "",
    ];
    return {
      shader: {
        name: this.name,
        code: lines.join("\n"),
        entryPoint: "main",
        layout: this.bindings.map((b) => b.access),
      },
      buffers: this.bindings.map((b) => b.buffer),
    };
  }
}
