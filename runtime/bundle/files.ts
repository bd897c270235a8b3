/**
 * Reading a bundle's files from a folder (Node) or a URL (fetch: browsers, or Node with
 * http(s) and file URLs), and checking each against the manifest's size and SHA-256. A file
 * that cannot be read is RNN4503; one that differs from the manifest is RNN4504.
 */
import { BUNDLE_CODES, BundleError } from "./errors.ts";
import type { FileEntry } from "./manifest.ts";

export type BundleLocation = string | URL;

/** Reads one file of a bundle as bytes. */
export type FileReader = (path: string) => Promise<Uint8Array>;

function isUrl(location: BundleLocation): location is URL | string {
  return location instanceof URL || /^(https?|file):\/\//.test(location);
}

/** A reader of the files of the bundle at `location` (a folder path or a URL of the folder). */
export function bundleReader(location: BundleLocation): FileReader {
  if (isUrl(location)) {
    const base = new URL(location.toString().replace(/\/?$/, "/"));
    return async (path) => {
      const url = new URL(path, base);
      if (url.protocol === "file:") {
        const { readFile } = await import("node:fs/promises");
        return readFile(url).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      }
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      return new Uint8Array(await response.arrayBuffer());
    };
  }
  return async (path) => {
    const [{ readFile }, { join }] = await Promise.all([
      import("node:fs/promises"),
      import("node:path"),
    ]);
    const b = await readFile(join(location, path));
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
}

/** Reads a file, RNN4503 when it cannot. */
export async function readBundleFile(read: FileReader, path: string): Promise<Uint8Array> {
  try {
    return await read(path);
  } catch (e) {
    const reason = (e as { code?: string }).code === "ENOENT" ? "missing" : (e as Error).message;
    throw new BundleError(
      BUNDLE_CODES.missingFile,
      `${path}: cannot read the bundle's file (${reason}); rebuild the bundle with rnnc compile`,
    );
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks a file's bytes against the manifest's size and hash (RNN4504). */
export async function verifyFile(
  files: readonly FileEntry[],
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const entry = files.find((f) => f.path === path);
  if (!entry)
    throw new BundleError(BUNDLE_CODES.badManifest, `manifest.json: "files" does not list ${path}`);
  if (bytes.length !== entry.bytes)
    throw new BundleError(
      BUNDLE_CODES.corruptFile,
      `${path}: ${bytes.length} bytes, the manifest says ${entry.bytes} (truncated or replaced?)`,
    );
  if ((await sha256Hex(bytes)) !== entry.sha256)
    throw new BundleError(
      BUNDLE_CODES.corruptFile,
      `${path}: its SHA-256 differs from the manifest's (the file was changed or corrupted)`,
    );
}

/** Reads a file listed in the manifest and checks its size and hash (RNN4503, RNN4504). */
export async function readChecked(
  read: FileReader,
  files: readonly FileEntry[],
  path: string,
): Promise<Uint8Array> {
  const bytes = await readBundleFile(read, path);
  await verifyFile(files, path, bytes);
  return bytes;
}

/** A file's bytes as JSON; RNN4504 when it is not. */
export function parseJsonFile(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new BundleError(
      BUNDLE_CODES.corruptFile,
      `${path}: not valid JSON (${(e as Error).message})`,
    );
  }
}
