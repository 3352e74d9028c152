// A tiny static server for the browser half of the fuzz suite: serves /work/main (the repo root)
// with the right MIME types and cross-origin isolation (COOP/COEP), so that pages may make shared
// memories (SharedArrayBuffer needs crossOriginIsolated). Only GET/HEAD, only files under root.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** An empty page that the harness is loaded into (same origin, isolated). */
const BLANK = "<!doctype html><meta charset=utf-8><title>fuzz</title><body>fuzz</body>";

/**
 * Starts the server on 127.0.0.1 and an ephemeral port.
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startServer(root = ROOT) {
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, ISOLATION).end();
        return;
      }
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      if (path === "/" || path === "/fuzz.html") {
        res.writeHead(200, { ...ISOLATION, "Content-Type": MIME[".html"] }).end(req.method === "HEAD" ? undefined : BLANK);
        return;
      }
      const file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403, ISOLATION).end();
        return;
      }
      const info = await stat(file).catch(() => null);
      if (!info || !info.isFile()) {
        res.writeHead(404, { ...ISOLATION, "Content-Type": MIME[".txt"] }).end("not found");
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, {
        ...ISOLATION,
        "Content-Type": MIME[extname(file)] ?? "application/octet-stream",
        "Content-Length": body.length,
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (e) {
      res.writeHead(500, ISOLATION).end(String(e));
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

// `node tests/fuzz/server.mjs` serves until killed (handy for looking at the page by hand).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startServer();
  console.log(`serving ${ROOT} at ${s.url}/fuzz.html`);
}
