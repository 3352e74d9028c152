// The core's layout (what it hands JS by name) against the package's types (js/index.d.ts), and
// its request rows against themselves: a column, a kind or a default the core adds or renames
// shows up here before a user's types drift from what the ledger gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// The source tree, as it runs unbundled once built (the bench loads it the same way): the package
// ships it bundled, with no way in to the core's layout.
await import(new URL("../../js/node.js", import.meta.url).href); // binds the core
const { layout, ARITY } = await import(new URL("../../src/js/rust.js", import.meta.url).href);
const { Core } = await import(new URL("../../generated/wasm_memory_polyfill.js", import.meta.url).href);
const types = readFileSync(new URL("../../js/index.d.ts", import.meta.url), "utf8");

/** The members of `interface name { ... }` in index.d.ts (its top-level lines `name: ...;`). */
function members(name) {
  const body = new RegExp(`interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(types)?.[1];
  assert.ok(body, `index.d.ts has interface ${name}`);
  return new Set([...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]));
}

test("every snapshot column is a LedgerRecord member (is64 as its address)", () => {
  const record = members("LedgerRecord");
  for (const column of Object.keys(layout.columns)) {
    const member = column === "is64" ? "address" : column;
    assert.ok(record.has(member), `LedgerRecord has ${member} (column ${column})`);
  }
  const origins = /origin: ((?:"\w+"(?: \| )?)+);/.exec(types)?.[1];
  assert.deepEqual(
    origins?.split(" | ").map((o) => JSON.parse(o)),
    layout.origins,
  );
});

test("every snapshot total is a LedgerSnapshot member, and every event kind a LedgerEvent type", () => {
  const snapshot = members("LedgerSnapshot");
  for (const total of Object.keys(layout.totals)) {
    const member = total.startsWith("headroom") ? "headroom" : total;
    assert.ok(snapshot.has(member), `LedgerSnapshot has ${member} (total ${total})`);
  }
  // The event types: LedgerEvent's members and the interfaces it names (no other type has one).
  const kinds = new Set([...types.matchAll(/\btype: "(\w+)"/g)].map((m) => m[1]));
  assert.deepEqual([...kinds].sort(), [...layout.events].sort());
});

test("the default interval index.d.ts documents is the core's", () => {
  const defaults = [...types.matchAll(/\(default (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(defaults.length, 2, "watch() and share() document theirs");
  for (const d of defaults) assert.equal(d, layout.watchMs);
});

test("each request row's fields are distinct indices within the row", () => {
  for (const [name, fields] of Object.entries(layout.requests)) {
    const at = Object.values(fields);
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at.map((_, i) => i),
      `${name}: 0, 1, 2, ...`,
    );
    assert.ok(at.length <= layout.requestLength, `${name} fits the row`);
  }
});

test("every method of the core takes no more parameters than rust.js's wrapper passes on", () => {
  for (const name of Object.getOwnPropertyNames(Core)) {
    const f = Core[name];
    if (typeof f === "function" && name !== "prototype") assert.ok(f.length <= ARITY, `Core.${name} takes ${f.length} (> ${ARITY})`);
  }
});
