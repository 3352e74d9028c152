// Exports the module's shadow-stack pointer as the global `__wmp_stack_pointer` (scripts/build.sh,
// after wasm-opt): `node scripts/export-stack-pointer.mjs FILE.wasm`. A call that a JS exception
// abandons inside wasm (a stack overflow) never runs its epilogue, so the pointer stays lowered
// by that call's frames; src/js/rust.js puts it back once no call is running. The pointer is the
// one mutable i32 global whose initial value is the top of the stack rustc's wasm32 layout puts
// first (a multiple of 64 KiB, the stack's size); anything else refuses to build.
import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const mod = binaryen.readBinary(readFileSync(file));
const F = binaryen.Features;
mod.setFeatures(F.MVP | F.BulkMemory | F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.ReferenceTypes | F.Multivalue); // as wasm-opt is run
const candidates = [];
for (let i = 0; i < mod.getNumGlobals(); i++) {
  const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
  if (!g.mutable || g.type !== binaryen.i32 || g.imported) continue;
  const init = binaryen.getExpressionInfo(g.init);
  if (init.id === binaryen.ConstId && init.value > 0 && init.value % 65536 === 0) candidates.push(g.name);
}
if (candidates.length !== 1) {
  console.error(`export-stack-pointer: expected one stack pointer global, found ${candidates.length}`);
  process.exit(1);
}
mod.addGlobalExport(candidates[0], "__wmp_stack_pointer");
writeFileSync(file, mod.emitBinary());
