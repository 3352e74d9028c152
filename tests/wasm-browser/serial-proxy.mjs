// An HTTP proxy for `wasm-pack test --headless --chrome` that sends every request to the test
// runner's server over one connection, one at a time.
//
// Why: the runner's server (tiny_http 0.12) can lose a wake-up when two connections arrive
// together (TaskPool::spawn queues the second connection's task while the woken thread takes the
// first), and keep-alive connections hold its threads, so one of the page's module requests is
// never answered and the page stays at "Loading scripts..." (about one run in three here, in
// Chromium and Firefox alike). Firefox is told to keep one connection per server (webdriver.json);
// Chromium has no such switch, so it goes through this proxy.
//
//   node tests/wasm-browser/serial-proxy.mjs <webdriver.json to write>
// Prints nothing; writes a webdriver.json with Chromium's proxy flags and runs until killed.
import { createServer, request, Agent } from "node:http";
import { readFileSync, writeFileSync } from "node:fs";

const out = process.argv[2];
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const proxy = createServer((req, res) => {
  const target = new URL(req.url); // a proxy receives absolute URLs
  const upstream = request(
    { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers, agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on("error", (e) => {
    res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(upstream);
});

proxy.listen(0, "127.0.0.1", () => {
  const { port } = /** @type {import("node:net").AddressInfo} */ (proxy.address());
  const config = JSON.parse(readFileSync(new URL("../../webdriver.json", import.meta.url), "utf8"));
  config["goog:chromeOptions"].args.push(`--proxy-server=http://127.0.0.1:${port}`, "--proxy-bypass-list=<-loopback>");
  writeFileSync(out, JSON.stringify(config, null, 2));
});
