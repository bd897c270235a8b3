/**
 * The benchmark suite (issue 7): every workload of bench/workloads.ts on every system, in one
 * process on this machine, sharing one WebGPU device; PyTorch in a child process when python3
 * with torch exists. Each cell: outputs checked against rnnc's, then warm-up and timed runs;
 * writes bench/RESULTS.md (and bench/RESULTS.json). docs/benchmarks.md says how to read it.
 *
 *   npm run bench [-- --workloads W1,W4] [--systems rnnc-webgpu,ort-web-webgpu] [--runs 10]
 *                 [--warmup 2] [--cap 60] [--min-runs 3] [--out bench/RESULTS.md]
 */
import { runBench, parseArgs } from "../bench/main.ts";

const code = await runBench(parseArgs(process.argv.slice(2)));
process.exit(code);
