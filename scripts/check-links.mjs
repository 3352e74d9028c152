// Checks every relative link of the documents (README.md and docs/*.md): the file it names
// exists, and its #anchor is a heading there (GitHub's slugs). A link (not an image) must also
// land on a file the npm package ships with the README (README.md, docs/*.md, the licenses), so
// the README's links work in node_modules too. Offline and fast: the `docs` step of
// scripts/test.sh. Ends with "links: N passed, M failed"; exit status 1 if any failed.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const documents = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
/** What scripts/build.sh copies into pkg/ besides the code. */
const shipped = new Set([...documents, "LICENSE-MIT", "LICENSE-APACHE"]);

/** The text outside fenced code blocks, with inline code spans blanked (their text is no link). */
function prose(text) {
  let fence = false;
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fence = !fence;
        return "";
      }
      return fence ? "" : line.replace(/`+[^`]*`+/g, "code");
    })
    .join("\n");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(file) {
  const seen = new Map();
  const out = new Set();
  let fence = false;
  for (const line of readFileSync(join(root, file), "utf8").split("\n")) {
    if (/^\s*```/.test(line)) fence = !fence;
    const h = !fence && line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!h) continue;
    const base = h[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

let passed = 0;
const failures = [];
const link = /(!?)\[((?:[^[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
for (const doc of documents) {
  const text = prose(readFileSync(join(root, doc), "utf8"));
  for (const m of text.matchAll(link)) {
    const [, bang, , target] = m;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not ours to check offline
    const line = text.slice(0, m.index).split("\n").length;
    const where = `${doc}:${line}: ${target}`;
    const [path, anchor] = target.split("#");
    const file = path ? normalize(join(dirname(doc), decodeURIComponent(path))) : doc;
    const problem = (() => {
      if (file.startsWith("..")) return "points outside the repository";
      if (!existsSync(join(root, file))) return `${file} does not exist`;
      if (!bang && statSync(join(root, file)).isFile() && !shipped.has(file))
        return `${file} is not in the npm package (only README.md, docs/*.md and the licenses are): name it in code, or link to a document`;
      if (anchor !== undefined) {
        if (!file.endsWith(".md")) return `an anchor into ${file}, which is not a document`;
        if (!anchors(file).has(anchor)) return `${relative(".", file)} has no heading #${anchor}`;
      }
      return null;
    })();
    if (problem) failures.push(`${where}: ${problem}`);
    else passed++;
  }
}
for (const f of failures) console.error(`FAILED ${f}`);
console.log(`links: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
