/**
 * kernels.wgsl: every WGSL shader of a bundle's WebGPU plans, each after a marker line that
 * names it, so a reader can see what will run. Plan files hold no shader code; each shader
 * entry names its kernel by index (`kernel`), and loading puts the code back. Both sides of
 * the format live here: the compiler writes with `formatKernels`, the loader reads with
 * `parseKernels`.
 */
import type { Plan, PlanShader } from "../webgpu/plan.ts";
import { BUNDLE_CODES, BundleError } from "./errors.ts";

/**
 * A shader as a bundle's plan file stores it: a WGSL shader without code, naming its kernel
 * in kernels.wgsl; a generated JavaScript kernel of the CPU plan (language "js") with its code.
 */
export type StoredShader = Omit<PlanShader, "code"> & {
  readonly kernel?: number;
  readonly code?: string;
};
export type StoredPlan = Omit<Plan, "shaders"> & { readonly shaders: readonly StoredShader[] };

const MARKER = /^\/\/ ── kernel (\d+): .* ──$/;

/** The text of kernels.wgsl: a header (comment lines), then each shader after its marker. */
export function formatKernels(header: readonly string[], shaders: readonly PlanShader[]): string {
  const parts = header.map((line) => `// ${line}\n`);
  shaders.forEach((s, i) => {
    parts.push(
      `\n// ── kernel ${i}: ${s.name} (entry point ${s.entryPoint}; bindings: uniforms, ${s.layout.join(", ")}) ──\n`,
      `${s.code.replace(/\n+$/, "")}\n`,
    );
  });
  return parts.join("");
}

/** The shaders' code, by index, from kernels.wgsl's text. */
export function parseKernels(text: string, path = "kernels.wgsl"): string[] {
  const out: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const marker = MARKER.exec(line);
    if (marker) {
      if (Number(marker[1]) !== out.length)
        throw new BundleError(
          BUNDLE_CODES.corruptFile,
          `${path}: kernel ${marker[1]} where kernel ${out.length} should be`,
        );
      current = [];
      out.push("");
      continue;
    }
    if (current) current.push(line);
    if (current) out[out.length - 1] = current.join("\n");
  }
  // Each shader's text ends before the blank line that precedes the next marker.
  return out.map((code) => `${code.replace(/\n+$/, "")}\n`);
}

/** A stored plan with its shaders' code put back from `kernels`. */
export function attachKernels(plan: StoredPlan, kernels: readonly string[], path: string): Plan {
  return {
    ...plan,
    shaders: plan.shaders.map((s, i) => {
      const { kernel, ...shader } = s;
      if (shader.language === "js" && typeof shader.code === "string")
        return { ...shader, code: shader.code };
      if (kernel === undefined) return { ...shader, code: "" };
      const code = kernels[kernel];
      if (code === undefined)
        throw new BundleError(
          BUNDLE_CODES.corruptFile,
          `${path}: shader ${i} names kernel ${kernel}, which kernels.wgsl lacks`,
        );
      return { ...shader, code };
    }),
  };
}
