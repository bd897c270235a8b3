/** The CPU executor of a plan: runs where no WebGPU adapter exists (see executor.ts). */
export { CpuPlanExecutor, type CpuExecutorOptions } from "./executor.ts";
