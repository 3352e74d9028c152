// A tiny static file server for the Chromium benchmarks: serves the repository root on
// 127.0.0.1, with the MIME types ES modules and wasm need, no caching, and the COOP/COEP headers
// that make the page cross-origin isolated (so performance.now() has 5 µs, not 100 µs, steps).
//
//   node benches/server.mjs [port]   serve by hand, then open http://127.0.0.1:<port>/benches/page.html
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

/**
 * Serves `root` (and each `mounts` URL prefix, e.g. "/pkg/", from its own directory); resolves
 * to `{ url, close() }` once listening.
 * @param {string} root @param {{ port?: number, host?: string, mounts?: Record<string, string> }} [options]
 */
export function serve(root, { port = 0, host = "127.0.0.1", mounts = {} } = {}) {
  const within = (dir) => {
    const base = resolve(dir);
    return { base, prefix: base.endsWith(sep) ? base : base + sep };
  };
  const top = within(root);
  const mounted = Object.entries(mounts).map(([url, dir]) => [url.endsWith("/") ? url : `${url}/`, within(dir)]);
  const server = createServer(async (req, res) => {
    const headers = {
      "Cache-Control": "no-store",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "X-Content-Type-Options": "nosniff",
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, headers).end();
        return;
      }
      let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let { base, prefix } = top;
      for (const [url, dir] of mounted) {
        if (path.startsWith(url)) {
          ({ base, prefix } = dir);
          path = path.slice(url.length - 1);
          break;
        }
      }
      let file = resolve(base, `.${path}`);
      if (file !== base && !file.startsWith(prefix)) {
        res.writeHead(403, headers).end();
        return;
      }
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      ok({ url: `http://${host}:${p}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const { url } = await serve(root, { port: Number(process.argv[2] ?? 8000) });
  console.log(`serving ${root} at ${url}/benches/page.html`);
}
