// Builds the browser extension (extension/) from the built package (pkg/, made by
// `bash scripts/build.sh`): `node scripts/extension.mjs`. Writes, unpacked,
// artifacts/extension/chromium/ and artifacts/extension/firefox/, and a zip of each
// (artifacts/extension/wasm-memory-chromium.zip, wasm-memory-firefox.zip).
//
// The content script is one classic script (content scripts can't be modules): rolldown bundles
// extension/content.js with the package's node.js entry, whose `readFileSync` of the wasm is
// replaced by the wasm's bytes embedded in the script, so the wasm is compiled synchronously
// (wasm-bindgen's initSync: `new WebAssembly.Module`) and install() runs with no await before it;
// the overlay's `import "./index.js"` is that same copy, so one ledger. The bundle goes inside
// extension/content-wrapper.js, which catches any failure. The settings files that spell the
// settings for the page (extension/settings-format.js) are written here.
import { rolldown } from "rolldown";
import { deflateRawSync, deflateSync } from "node:zlib";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const src = join(root, "extension");
const out = join(root, "artifacts", "extension");
const fail = (message) => {
  console.error(`extension.mjs: ${message}`);
  process.exit(1);
};
for (const f of ["node.js", "overlay.js", "wasm_memory_polyfill_bg.wasm", "package.json"]) {
  if (!existsSync(join(pkg, f))) fail(`pkg/${f} is missing: run \`bash scripts/build.sh\` first`);
}
const { settingsSources } = await import(pathToFileURL(join(src, "settings-format.js")).href);
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version.replace(/[-+].*$/, "");
const wasm = readFileSync(join(pkg, "wasm_memory_polyfill_bg.wasm"));

// ------------------------------------------------------------------ the content script
const WASM_MODULE = "\0wasm-memory-polyfill-wasm";
const nodeEntry = join(pkg, "node.js");
const overlayEntry = join(pkg, "overlay.js");
const contentPlugin = {
  name: "extension-content",
  resolveId(source, importer) {
    if (source === "wasm-memory-polyfill") return nodeEntry;
    if (source === "wasm-memory-polyfill/overlay") return overlayEntry;
    // The overlay shares the page's ledger through "./index.js": here, the one copy in this bundle.
    if (source === "./index.js" && importer === overlayEntry) return nodeEntry;
    if (source === "node:fs" && importer === nodeEntry) return WASM_MODULE;
    return null;
  },
  load(id) {
    if (id !== WASM_MODULE) return null;
    // node.js reads the wasm with readFileSync at import: here it gets the embedded bytes, decoded
    // without any built-in a page could have patched (none has run yet, but nothing to trust).
    return `const B64 = ${JSON.stringify(wasm.toString("base64"))};
export function readFileSync() {
  const n = B64.length, table = new Uint8Array(128);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  const pad = B64.endsWith("==") ? 2 : B64.endsWith("=") ? 1 : 0;
  const bytes = new Uint8Array((n / 4) * 3 - pad);
  for (let i = 0, j = 0; i < n; i += 4) {
    const v = (table[B64.charCodeAt(i)] << 18) | (table[B64.charCodeAt(i + 1)] << 12) | (table[B64.charCodeAt(i + 2)] << 6) | table[B64.charCodeAt(i + 3)];
    if (j < bytes.length) bytes[j++] = v >> 16;
    if (j < bytes.length) bytes[j++] = (v >> 8) & 255;
    if (j < bytes.length) bytes[j++] = v & 255;
  }
  return bytes;
}
`;
  },
};

// A classic script has no import.meta: its URL names the wasm file readFileSync ignores
// (node.js) and the package's own URL that captureStacks looks for in stack lines (stacks.js).
const META_URL = "chrome-extension://wasm-memory-polyfill/content.js";
async function bundle(input, plugins, name) {
  const b = await rolldown({
    input,
    plugins,
    platform: "browser",
    transform: { define: { "import.meta.url": JSON.stringify(META_URL) } },
    onwarn: (w) => fail(`rolldown: ${w.message}`),
  });
  const { output } = await b.generate({ format: "iife", name, codeSplitting: false });
  await b.close();
  if (output.length !== 1) fail(`${input}: rolldown made ${output.length} files, expected one classic script`);
  return output[0].code;
}

const contentBundle = await bundle(join(src, "content.js"), [contentPlugin], "wasmMemoryExtension");
if (/\bimport\s*\(|\bimport\.meta\b|^\s*(?:import|export)\b/m.test(contentBundle)) fail("the content bundle still has module syntax");
const wrapper = readFileSync(join(src, "content-wrapper.js"), "utf8");
if (!wrapper.includes("/* BUNDLE */")) fail("extension/content-wrapper.js lost its /* BUNDLE */ marker");
const content = wrapper.replace("/* BUNDLE */", () => contentBundle.replace(/\n/g, "\n    "));

const background = await bundle(join(src, "background.js"), [], undefined);

// ------------------------------------------------------------------ icons: a bar chart on blue
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function png(size) {
  const px = Buffer.alloc(size * (size * 4 + 1));
  const r = size * 0.2; // corner radius
  for (let y = 0; y < size; y++) {
    px[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const o = y * (size * 4 + 1) + 1 + x * 4;
      const cx = Math.min(Math.max(x + 0.5, r), size - r),
        cy = Math.min(Math.max(y + 0.5, r), size - r);
      const inside = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r;
      if (!inside) continue;
      // three bars, rising, and a dashed budget line
      const u = (x + 0.5) / size,
        v = (y + 0.5) / size;
      const bars = [
        [0.18, 0.36, 0.55],
        [0.42, 0.6, 0.4],
        [0.66, 0.84, 0.25],
      ];
      const bar = bars.some(([a, b, top]) => u >= a && u < b && v >= top && v < 0.82);
      const line = v >= 0.14 && v < 0.14 + Math.max(1.5 / size, 0.06) && Math.floor(u * 6) % 2 === 0;
      const [R, G, B] = bar ? [255, 255, 255] : line ? [255, 135, 135] : [59, 91, 219];
      (px[o] = R), (px[o + 1] = G), (px[o + 2] = B), (px[o + 3] = 255);
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  (ihdr[8] = 8), (ihdr[9] = 6); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(px, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// ------------------------------------------------------------------ the zip (stored as deflate)
function zip(dir) {
  const files = [];
  (function walk(d) {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  })(dir);
  const parts = [],
    central = [];
  let offset = 0;
  for (const p of files) {
    const name = Buffer.from(relative(dir, p).split("\\").join("/"));
    const data = readFileSync(p);
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // names are UTF-8
    head.writeUInt16LE(8, 8); // deflate
    head.writeUInt16LE(0, 10), head.writeUInt16LE(0x21, 12); // 1980-01-01 00:00
    head.writeUInt32LE(crc, 14), head.writeUInt32LE(packed.length, 18), head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(name.length, 26), head.writeUInt16LE(0, 28);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4), c.writeUInt16LE(20, 6), c.writeUInt16LE(0x0800, 8), c.writeUInt16LE(8, 10);
    c.writeUInt16LE(0, 12), c.writeUInt16LE(0x21, 14);
    c.writeUInt32LE(crc, 16), c.writeUInt32LE(packed.length, 20), c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    parts.push(head, name, packed);
    central.push(c, name);
    offset += head.length + name.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8), end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12), end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

// ------------------------------------------------------------------ write both
const template = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
const manifests = {
  chromium: { ...template, version, minimum_chrome_version: "119", background: { service_worker: "background.js" } },
  firefox: {
    ...template,
    version,
    background: { scripts: ["background.js"] },
    browser_specific_settings: { gecko: { id: "wasm-memory-polyfill@extension", strict_min_version: "128.0" } },
  },
};
const files = {
  "content.js": content,
  "background.js": background,
  "options.html": readFileSync(join(src, "options.html")),
  "options.js": readFileSync(join(src, "options.js")),
  "options.css": readFileSync(join(src, "options.css")),
  ...settingsSources(),
};
for (const size of [16, 32, 48, 128]) files[`icons/${size}.png`] = png(size);

mkdirSync(out, { recursive: true });
for (const [browser, manifest] of Object.entries(manifests)) {
  const dir = join(out, browser);
  rmSync(dir, { recursive: true, force: true });
  for (const [name, data] of Object.entries({ ...files, "manifest.json": `${JSON.stringify(manifest, null, 2)}\n` })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  writeFileSync(join(out, `wasm-memory-${browser}.zip`), zip(dir));
}
console.log(
  `extension ${version} built in ${relative(root, out)}/{chromium,firefox} and wasm-memory-{chromium,firefox}.zip: ` +
    `content.js ${Buffer.byteLength(content)} bytes (the wasm ${wasm.length} bytes inline), ${Object.keys(files).length} files`,
);
