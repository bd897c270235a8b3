/** The reference interpreter of the IR: the oracle for every pass and backend. */
export { evaluate, type EvaluableGraph, type EvaluateOptions, type Feeds } from "./interpreter.ts";
export { KERNELS, broadcastIndex, type Kernel, type KernelContext, type Value } from "./kernels.ts";
export { erf } from "./erf.ts";
export { pcg, sampleHash, sampleUniform } from "./rng.ts";
export * from "./tensor.ts";
