/**
 * A small static file server on 127.0.0.1 for the browser test and the web demo: URL path
 * prefixes mapped to folders (longest prefix first), GET only, nothing outside the folders.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, resolve } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wgsl": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Serves `routes` (URL prefix such as "/" or "/bundle/" → folder) on `port` (0: any free one). */
export function serveStatic(routes: Readonly<Record<string, string>>, port = 0): Promise<Server> {
  const table = Object.entries(routes)
    .map(([prefix, dir]) => [prefix.replace(/\/?$/, "/"), resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname));
    const route = table.find(([prefix]) => `${path}/`.startsWith(prefix));
    if (request.method !== "GET" || !route) {
      response.writeHead(404).end();
      return;
    }
    const [prefix, dir] = route;
    let file = join(dir, path.slice(prefix.length));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    response.writeHead(200, { "content-type": type }).end(readFileSync(file));
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => done(server));
  });
}
