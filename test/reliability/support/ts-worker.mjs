// A worker thread that runs a TypeScript module: registers tsx's loader in this thread, then
// imports workerData.entry (scripts/reliability.ts starts its fuzzers this way).
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);
