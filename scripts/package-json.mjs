// pkg.json.template + Cargo.toml -> pkg/package.json: fills in name, version, description and
// license from Cargo.toml, and "files" from what the build actually put in pkg/.
import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const [template, cargoToml, out] = process.argv.slice(2);
const cargo = readFileSync(cargoToml, "utf8");
const field = (k) => cargo.match(new RegExp(`^${k} = "([^"]*)"`, "m"))?.[1];
const pkgDir = dirname(out);
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
const files = walk(pkgDir)
  .map((f) => relative(pkgDir, f))
  .filter((f) => f !== "package.json")
  .sort();

const text = readFileSync(template, "utf8")
  .replaceAll("{{name}}", field("name"))
  .replaceAll("{{version}}", field("version"))
  .replaceAll("{{description}}", field("description"))
  .replaceAll("{{license}}", field("license"));
const pkg = JSON.parse(text);
pkg.files = files;
writeFileSync(out, JSON.stringify(pkg, null, 2) + "\n");
