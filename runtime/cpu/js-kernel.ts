/**
 * Generated JavaScript kernels (a plan shader with `language: "js"`): how the CPU executor
 * builds them. The compiler (compiler/codegen/js/) writes `code` as the body of a factory
 *
 *   function (lib, buffers) { ...; return function run() { ... }; }
 *
 * that takes JS_KERNEL_LIB and the dispatch's bound buffers (CpuBuffer: f32/i32/u32 views, in
 * binding order), allocates its scratch once and returns the function a run calls. The
 * factory is made with `new Function` once per shader and called once per dispatch, so a run
 * allocates nothing. The code reads nothing but its arguments and the JavaScript built-ins.
 */
import { activation } from "../reference/activations.ts";
import { sampleUniform } from "../reference/rng.ts";
import { intBinary, type CpuBuffer, type Step } from "./kernels.ts";
import * as rows from "./rows.ts";

/** What generated code may call, as `lib.<name>`. */
export const JS_KERNEL_LIB = Object.freeze({ ...rows, activation, intBinary, sampleUniform });

export type JsKernelLib = typeof JS_KERNEL_LIB;

type Factory = (lib: JsKernelLib, buffers: readonly CpuBuffer[]) => Step;

/** Compiles a generated kernel's source into its factory (throws SyntaxError on bad code). */
export function compileJsKernel(code: string): (buffers: readonly CpuBuffer[]) => Step {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function("lib", "buffers", code) as Factory;
  return (buffers) => {
    const step = factory(JS_KERNEL_LIB, buffers);
    if (typeof step !== "function")
      throw new TypeError("the kernel's factory returned no function");
    return step;
  };
}
