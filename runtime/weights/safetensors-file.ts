/**
 * safetensors files in Node. Writes are atomic: the bytes go to a temporary file in the same
 * folder, are flushed to disk, and the temporary file is renamed over the target — a reader
 * (or a crash during a checkpoint) never sees a half-written file. Browser code imports
 * safetensors.ts instead, which has no Node dependency.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { WEIGHTS_CODES, WeightsError } from "./errors.ts";
import {
  readSafetensors,
  writeSafetensors,
  type Safetensors,
  type TensorsInput,
} from "./safetensors.ts";

function ioError(action: string, path: string, e: unknown): WeightsError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "no such file or folder"
      : code === "EISDIR"
        ? "it is a folder"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENOSPC"
            ? "no space left on the device"
            : String((e as Error).message);
  return new WeightsError(WEIGHTS_CODES.io, `cannot ${action} '${path}': ${why}`);
}

/** A temporary name next to `path`, unique to this process and call. */
function tempPath(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

export function readSafetensorsFileSync(path: string): Safetensors {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw ioError("read", path, e);
  }
  return readSafetensors(bytes, path);
}

export async function readSafetensorsFile(path: string): Promise<Safetensors> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError("read", path, e);
  }
  return readSafetensors(bytes, path);
}

/** Replaces `path` with `bytes` atomically (temporary file, fsync, rename). */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const temp = tempPath(path);
  try {
    const fd = openSync(temp, "wx", 0o644);
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw ioError("write", path, e);
  }
}

/** Replaces `path` with `bytes` atomically (temporary file, fsync, rename). */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = tempPath(path);
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw ioError("write", path, e);
  }
}

export function writeSafetensorsFileSync(
  path: string,
  tensors: TensorsInput,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeFileAtomicSync(path, writeSafetensors(tensors, metadata));
}

export async function writeSafetensorsFile(
  path: string,
  tensors: TensorsInput,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  await writeFileAtomic(path, writeSafetensors(tensors, metadata));
}
