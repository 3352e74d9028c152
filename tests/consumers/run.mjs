// Consumer tests for the npm package (GitHub issue #4): the built pkg/ is packed with `npm pack`,
// the tarball is installed into each consumer project below (copied to a temp dir), and each one
// is used the way a user would, with no plugin and no bundler config:
//   vite/          `vite build`, served by `vite preview`, the MDN example in headless Chromium;
//                  and the same page from the vite dev server (dependency pre-bundling)
//   webpack/       `webpack --mode production` (no config file), static server, headless Chromium
//   vite-auto/     an entry that only does `import "wasm-memory-polyfill/auto"`: the bundler must
//   webpack-auto/  keep it (package.json "sideEffects") and the page's WebAssembly.Memory is ours
//   node/          Node ESM: the "node" condition, then wasm-memory-polyfill/auto
//   typescript/    `tsc --noEmit` (strict; NodeNext and Bundler resolution) over the whole API,
//                  plus a negative control: without the @ts-expect-error comments it must fail
// The tools are the dev dependencies in the repository's node_modules; only the tarball is
// installed into the projects. Prints "ok - <name>" / "not ok - <name>: <detail>", the package
// sizes as "# size" lines, and ends with "consumers: N passed, M failed" (exit 1 if M > 0).
//
// Usage: node tests/consumers/run.mjs   (after bash scripts/build.sh)
// Env: CHROMIUM (default /usr/bin/chromium), WMP_KEEP_TMP=1 keeps the temp dir.

import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, extname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { gzipSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HERE = fileURLToPath(new URL("./", import.meta.url));
const PKG = join(ROOT, "pkg");
const BIN = join(ROOT, "node_modules", ".bin");
const FIXTURE = join(ROOT, "tests", "fixtures", "memory.wasm");
const PKG_WASM = join(PKG, "wasm_memory_polyfill_bg.wasm");
/** The documents the README links to ship with it (scripts/build.sh), so its links work in node_modules. */
const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => `docs/${f}`);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PROJECTS = ["vite", "vite-auto", "webpack", "webpack-auto", "node", "typescript"];
const STEP_TIMEOUT = 90_000;
const TOTAL_TIMEOUT = 180_000;

// ---------------------------------------------------------------------------------------------
// reporting

let passed = 0;
let failed = 0;
const oneLine = (s) =>
  String(s)
    .replace(/\s*\n\s*/g, " | ")
    .slice(0, 3000);
function ok(name) {
  passed++;
  console.log(`ok - ${name}`);
}
function notOk(name, detail) {
  failed++;
  console.log(`not ok - ${name}: ${oneLine(detail)}`);
}
async function check(name, fn) {
  try {
    await fn();
    ok(name);
  } catch (e) {
    notOk(name, e && e.message ? e.message : e);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function assertEqual(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}
const note = (line) => console.log(`# ${line}`);

// ---------------------------------------------------------------------------------------------
// processes, servers, the browser, the temp dir: all cleaned up on every exit path

const children = new Set();
const servers = [];
let browser = null;
let tmp = null;

function run(cmd, args, { cwd, timeout = STEP_TIMEOUT, env } = {}) {
  return new Promise((resolve) => {
    const started = Date.now(); // printed in the "# timings" line only; never asserted
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", npm_config_update_notifier: "false", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group, so a timeout kills the tool and its workers
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeout);
    const done = (code, error) => {
      clearTimeout(timer);
      children.delete(child);
      if (timedOut) stderr += `\n[timed out after ${timeout} ms]`;
      if (error) stderr += `\n[${error.message}]`;
      resolve({ code: timedOut ? -1 : code, stdout, stderr, ms: Date.now() - started });
    };
    child.on("error", (e) => done(-1, e));
    child.on("close", (code) => done(code));
  });
}
function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}
const output = (r) => `exit ${r.code}: ${(r.stderr + "\n" + r.stdout).trim().slice(-1500)}`;
const node = (script, args, opts) => run(process.execPath, [script, ...args], opts);
const tool = (name) => join(BIN, name);

async function cleanup() {
  for (const child of children) killGroup(child);
  await Promise.allSettled(servers.map((s) => s.close()));
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (tmp && !process.env.WMP_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
}
let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  await cleanup();
  console.log(`consumers: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : code);
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    notOk("interrupted", sig);
    finish(1);
  });
}
setTimeout(() => {
  notOk("total runtime", `over ${TOTAL_TIMEOUT / 1000} s, stopped`);
  finish(1);
}, TOTAL_TIMEOUT).unref();

/** At most `limit` of `tasks` (functions returning promises) at a time (the machine has 2 cores). */
async function pool(limit, tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// a tiny static server (what webpack users put in front of dist/) with the right MIME types

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};
function serveStatic(root) {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
        res.writeHead(403).end();
        return;
      }
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
      if (!existsSync(file)) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": MIME[extname(file)] || "application/octet-stream", "cache-control": "no-store" });
      res.end(readFileSync(file));
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const handle = { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(() => r())) };
      servers.push(handle);
      resolve(handle);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// helpers for the checks

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name));
}

/** Checks that `dist` holds the package's wasm byte for byte and a JS file that refers to it. */
function assertWasmEmitted(dist) {
  const files = filesUnder(dist);
  const pkgWasm = readFileSync(PKG_WASM);
  const wasm = files.filter((f) => f.endsWith(".wasm") && readFileSync(f).equals(pkgWasm));
  assert(
    wasm.length >= 1,
    `no emitted .wasm equal to pkg/wasm_memory_polyfill_bg.wasm in ${relative(tmp, dist)} (files: ${files.map((f) => relative(dist, f)).join(", ")})`,
  );
  const js = files.filter((f) => f.endsWith(".js"));
  const names = wasm.map((f) => basename(f));
  const referring = js.filter((f) => names.some((n) => readFileSync(f, "utf8").includes(n)));
  assert(referring.length >= 1, `no emitted JS refers to ${names.join(", ")}`);
  const jsBytes = js.map((f) => readFileSync(f));
  return {
    wasm: names,
    js: js.map((f) => relative(dist, f)),
    jsRaw: jsBytes.reduce((n, b) => n + b.length, 0),
    jsGzip: jsBytes.reduce((n, b) => n + gz(b), 0),
  };
}

/** Opens `url` in Chromium and returns what the page's script put in window.__result and #result. */
async function pageResult(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
  try {
    await page.goto(url, { waitUntil: "load", timeout: 20_000 });
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 20_000 });
    const result = await page.evaluate(() => window.__result);
    const dom = await page.textContent("#result");
    return { result, dom, problems };
  } catch (e) {
    throw new Error(`${String(e.message).split("\n")[0]}; ${problems.join("; ") || "no page errors"}`);
  } finally {
    await page.close().catch(() => {});
  }
}

const MDN_EXPECTED = {
  sum: 45,
  isMemory: true,
  grow: 10,
  type: { address: "i32", maximum: 100, minimum: 11, shared: false },
  live: 1,
  label: "mdn",
  realms: ["page"],
  globalUntouched: true,
};
const AUTO_EXPECTED = {
  replaced: true,
  hasType: true,
  type: { address: "i32", maximum: 2, minimum: 1, shared: false },
  isNativeMemory: true,
};
function assertPage({ result, dom, problems }, expected) {
  assert(!result.error, `the page threw: ${result.error}`);
  assertEqual(result, expected, "window.__result");
  assertEqual(dom, JSON.stringify(result), "#result text");
  assert(problems.length === 0, `page problems: ${problems.join("; ")}`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(join(PKG, "package.json")) || !existsSync(PKG_WASM)) {
    notOk("package built", "pkg/ is missing or incomplete: run `bash scripts/build.sh` first");
    return finish(1);
  }
  tmp = mkdtempSync(join(tmpdir(), "wmp-consumers-"));
  const pkgJson = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));

  // 1. pack, and the sizes
  let tarball = null;
  await check("npm pack pkg/", async () => {
    const packDir = join(tmp, "pack");
    mkdirSync(packDir);
    const r = await run("npm", ["pack", PKG, "--pack-destination", packDir, "--json"], { cwd: tmp });
    assert(r.code === 0, output(r));
    const [info] = JSON.parse(r.stdout);
    tarball = join(packDir, info.filename);
    assert(existsSync(tarball), `no ${info.filename} in the pack destination`);
    const packed = info.files.map((f) => f.path).sort();
    // The JS ships bundled (scripts/bundle.mjs): an ESM file per entry, the chunk index.js and
    // node.js share, realms.js (loaded by share()), the reporter and the bin (cli.js); no loose
    // module of src/js or the glue.
    const js = ["auto.js", "cli.js", "index.js", "node.js", "overlay.js", "polyfill.js", "realms.js", "report.js"];
    const wanted = [
      "package.json",
      ...js,
      "overlay.d.ts",
      "report.d.ts",
      "LICENSE-MIT",
      "LICENSE-APACHE",
      "README.md",
      ...DOCS,
      "index.d.ts",
      "wasm_memory_polyfill_bg.wasm",
    ];
    const missing = wanted.filter((f) => !packed.includes(f));
    assert(missing.length === 0, `the tarball lacks ${missing.join(", ")} (has ${packed.join(", ")})`);
    const packedJs = packed.filter((f) => f.endsWith(".js"));
    assert(isDeepStrictEqual(packedJs, js), `the tarball's JS is ${packedJs.join(", ")}, not the bundle's ${js.join(", ")}`);
    const bin = info.files.find((f) => f.path === "cli.js");
    assert(
      bin && (bin.mode & 0o111) !== 0 && pkgJson.bin?.["wasm-memory-polyfill"] === "./cli.js",
      `the bin cli.js is packed executable (mode ${bin?.mode?.toString(8)})`,
    );
    assert(!packed.some((f) => f.startsWith("snippets/")), `the core imports no JS snippets (has ${packed.join(", ")})`);
    note(`size: tarball ${info.filename} ${statSync(tarball).size} bytes (${info.entryCount} files, ${info.unpackedSize} bytes unpacked)`);
  });
  {
    const wasm = readFileSync(PKG_WASM);
    note(`size: wasm_memory_polyfill_bg.wasm ${wasm.length} bytes, ${gz(wasm)} gzip`);
    const js = filesUnder(PKG).filter((f) => f.endsWith(".js"));
    let raw = 0;
    let gzTotal = 0;
    for (const f of js.sort()) {
      const b = readFileSync(f);
      raw += b.length;
      gzTotal += gz(b);
      note(`size: ${relative(PKG, f)} ${b.length} bytes, ${gz(b)} gzip`);
    }
    note(
      `size: all JS ${raw} bytes, ${gzTotal} gzip (each file compressed alone); wasm + JS ${wasm.length + raw} bytes, ${gz(wasm) + gzTotal} gzip`,
    );
  }
  if (!tarball) return finish(1);

  // 2. the projects, copied to the temp dir, with only the tarball installed
  const dir = Object.fromEntries(PROJECTS.map((p) => [p, join(tmp, p)]));
  const installed = {};
  await check(`install the tarball into ${PROJECTS.length} consumer projects`, async () => {
    const results = await pool(
      2,
      PROJECTS.map((p) => async () => {
        cpSync(join(HERE, p), dir[p], { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
        const r = await run("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--ignore-scripts", tarball], {
          cwd: dir[p],
        });
        const manifest = join(dir[p], "node_modules", "wasm-memory-polyfill", "package.json");
        installed[p] = r.code === 0 && existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).version === pkgJson.version;
        return installed[p] ? null : `${p}: ${output(r)}`;
      }),
    );
    const bad = results.filter(Boolean);
    assert(bad.length === 0, bad.join("; "));
  });
  const needs = (p) => assert(installed[p], `the tarball is not installed in ${p}`);

  // the fixture the pages fetch
  mkdirSync(join(dir.vite, "public"), { recursive: true });
  cpSync(FIXTURE, join(dir.vite, "public", "memory.wasm"));
  cpSync(FIXTURE, join(dir.webpack, "memory.wasm"));

  // 3. builds, type checks and the Node run (two at a time)
  const negative = join(dir.typescript, "src", "negative.ts");
  const source = readFileSync(join(dir.typescript, "src", "index.ts"), "utf8").split("\n");
  const expectErrorLines = source.flatMap((l, i) => (/^\s*\/\/ @ts-expect-error/.test(l) ? [i + 1] : []));
  writeFileSync(negative, source.map((l) => (/^\s*\/\/ @ts-expect-error/.test(l) ? "" : l)).join("\n"));
  writeFileSync(join(dir.typescript, "tsconfig.negative.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["src/negative.ts"] }));

  const vite = ["build", "--logLevel", "warn"];
  const webpack = ["--mode", "production", "--no-color"];
  const tsc = (project) => [tool("tsc"), ["--noEmit", "--pretty", "false", "-p", project]];
  const jobs = {
    viteBuild: () => node(tool("vite"), vite, { cwd: dir.vite }),
    webpackBuild: () => node(tool("webpack"), webpack, { cwd: dir.webpack }),
    nodeRun: () => node("main.js", [FIXTURE], { cwd: dir.node }),
    tscNodeNext: () => node(...tsc("tsconfig.json"), { cwd: dir.typescript }),
    tscBundler: () => node(...tsc("tsconfig.bundler.json"), { cwd: dir.typescript }),
    tscNegative: () => node(...tsc("tsconfig.negative.json"), { cwd: dir.typescript }),
    viteAutoBuild: () => node(tool("vite"), vite, { cwd: dir["vite-auto"] }),
    webpackAutoBuild: () => node(tool("webpack"), webpack, { cwd: dir["webpack-auto"] }),
  };
  const names = Object.keys(jobs);
  const done = await pool(
    2,
    names.map((n) => jobs[n]),
  );
  const r = Object.fromEntries(names.map((n, i) => [n, done[i]]));

  // 4. the checks
  const { chromium } = await import("playwright-core");
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (e) {
    notOk("launch headless Chromium", e.message);
  }
  const needsBrowser = () => assert(browser, "no browser");
  const { preview, createServer: createViteServer } = await import("vite");
  const vitePreview = async (root) => {
    const server = await preview({ root, configFile: false, logLevel: "silent", preview: { host: "127.0.0.1", port: 0, open: false } });
    servers.push({ close: () => server.close() });
    return server.resolvedUrls.local[0];
  };

  await check("vite: build emits the package's wasm as an asset", () => {
    needs("vite");
    assert(r.viteBuild.code === 0, output(r.viteBuild));
    const s = assertWasmEmitted(join(dir.vite, "dist"));
    note(`size: vite bundle JS ${s.jsRaw} bytes, ${s.jsGzip} gzip (${s.js.join(", ")}); wasm ${s.wasm.join(", ")}`);
  });
  await check("vite: the MDN example in Chromium (vite preview)", async () => {
    needs("vite");
    needsBrowser();
    assert(r.viteBuild.code === 0, "the build failed");
    assertPage(await pageResult(await vitePreview(dir.vite)), MDN_EXPECTED);
  });
  await check("vite: the MDN example in Chromium (vite dev server, no config)", async () => {
    needs("vite");
    needsBrowser();
    const server = await createViteServer({
      root: dir.vite,
      configFile: false,
      logLevel: "silent",
      server: { host: "127.0.0.1", port: 0, open: false },
    });
    servers.push({ close: () => server.close() });
    await server.listen();
    assertPage(await pageResult(server.resolvedUrls.local[0]), MDN_EXPECTED);
  });
  await check("webpack 5: build (no config) emits the package's wasm as an asset", () => {
    needs("webpack");
    assert(r.webpackBuild.code === 0, output(r.webpackBuild));
    assert(!/\bWARNING\b/.test(r.webpackBuild.stdout + r.webpackBuild.stderr), `webpack warned: ${output(r.webpackBuild)}`);
    const s = assertWasmEmitted(join(dir.webpack, "dist"));
    note(`size: webpack bundle JS ${s.jsRaw} bytes, ${s.jsGzip} gzip (${s.js.join(", ")}); wasm ${s.wasm.join(", ")}`);
  });
  await check("webpack 5: the MDN example in Chromium (static server)", async () => {
    needs("webpack");
    needsBrowser();
    assert(r.webpackBuild.code === 0, "the build failed");
    const server = await serveStatic(dir.webpack);
    assertPage(await pageResult(server.url), MDN_EXPECTED);
  });
  await check('node ESM: the "node" condition, the MDN example, then wasm-memory-polyfill/auto', () => {
    needs("node");
    assert(r.nodeRun.code === 0, output(r.nodeRun));
    const lines = r.nodeRun.stdout.trim().split("\n");
    const out = JSON.parse(lines[lines.length - 1]);
    assert(
      out.resolved.endsWith("/node_modules/wasm-memory-polyfill/node.js"),
      `"wasm-memory-polyfill" resolved to ${out.resolved}, not node.js`,
    );
    assert(
      out.autoResolved.endsWith("/node_modules/wasm-memory-polyfill/auto.js"),
      `"wasm-memory-polyfill/auto" resolved to ${out.autoResolved}`,
    );
    const { resolved, autoResolved, ...rest } = out;
    assertEqual(
      rest,
      {
        ...MDN_EXPECTED,
        autoSameLedger: true,
        installed: true,
        autoType: { address: "i32", minimum: 1, shared: false },
        autoCounted: true,
        autoLive: 2,
      },
      "printed JSON",
    );
  });
  await check("typescript: tsc --noEmit, strict, module NodeNext", () => {
    needs("typescript");
    assert(r.tscNodeNext.code === 0 && !/error TS/.test(r.tscNodeNext.stdout), output(r.tscNodeNext));
  });
  await check("typescript: tsc --noEmit, strict, moduleResolution Bundler", () => {
    needs("typescript");
    assert(r.tscBundler.code === 0 && !/error TS/.test(r.tscBundler.stdout), output(r.tscBundler));
  });
  await check(`typescript: without the @ts-expect-error comments tsc fails on exactly those ${expectErrorLines.length} lines`, () => {
    needs("typescript");
    assert(r.tscNegative.code !== 0, `tsc accepted the file without @ts-expect-error: the types are too loose (${output(r.tscNegative)})`);
    const errors = [...r.tscNegative.stdout.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+)/gm)].map((m) => ({
      file: m[1],
      line: Number(m[2]),
      code: m[3],
    }));
    const elsewhere = errors.filter((e) => !e.file.endsWith("negative.ts"));
    assert(elsewhere.length === 0, `errors outside the test file: ${output(r.tscNegative)}`);
    // each removed comment line is now blank; the error is on the line after it
    assertEqual(
      [...new Set(errors.map((e) => e.line))].sort((a, b) => a - b),
      expectErrorLines.map((l) => l + 1),
      "lines with errors",
    );
  });
  await check("vite: an entry that only imports wasm-memory-polyfill/auto keeps it (sideEffects) and installs", async () => {
    needs("vite-auto");
    needsBrowser();
    assert(r.viteAutoBuild.code === 0, output(r.viteAutoBuild));
    assertWasmEmitted(join(dir["vite-auto"], "dist"));
    assertPage(await pageResult(await vitePreview(dir["vite-auto"])), AUTO_EXPECTED);
  });
  await check("webpack 5: an entry that only imports wasm-memory-polyfill/auto keeps it (sideEffects) and installs", async () => {
    needs("webpack-auto");
    needsBrowser();
    assert(r.webpackAutoBuild.code === 0, output(r.webpackAutoBuild));
    assertWasmEmitted(join(dir["webpack-auto"], "dist"));
    const server = await serveStatic(dir["webpack-auto"]);
    assertPage(await pageResult(server.url), AUTO_EXPECTED);
  });

  const slow = names.map((n) => `${n} ${(r[n].ms / 1000).toFixed(1)}s`).join(", ");
  note(`timings: ${slow}`);
  return finish(0);
}

main().catch((e) => {
  notOk("run.mjs", e && e.stack ? e.stack : e);
  finish(1);
});
