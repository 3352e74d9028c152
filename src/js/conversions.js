// ECMAScript conversions, run here so that a user's exception never crosses into wasm.

import { BigInt, TypeError, apply } from "./primordials.js";
const isPrimitive = (v) => (typeof v !== "object" && typeof v !== "function") || v === null;

/**
 * ToPrimitive(v, hint), step by step as the spec writes it (GetMethod @@toPrimitive, else
 * OrdinaryToPrimitive). The engines' own would do the same user-visible steps, but SpiderMonkey
 * then builds its TypeError message by inspecting the object (running a Proxy's traps).
 * @param {unknown} v @param {"number" | "string"} hint
 */
function toPrimitive(v, hint) {
  if (isPrimitive(v)) return v;
  const exotic = v[Symbol.toPrimitive];
  if (exotic !== undefined && exotic !== null) {
    if (typeof exotic !== "function") throw new TypeError("Memory: [Symbol.toPrimitive] is not a function");
    const r = apply(exotic, v, [hint]);
    if (!isPrimitive(r)) throw new TypeError("Memory: [Symbol.toPrimitive] returned an object");
    return r;
  }
  for (const name of hint === "string" ? ["toString", "valueOf"] : ["valueOf", "toString"]) {
    const method = v[name];
    if (typeof method === "function") {
      const r = apply(method, v, []);
      if (isPrimitive(r)) return r;
    }
  }
  throw new TypeError("Memory: cannot convert an object to a primitive value");
}

/** ToNumber: TypeError for BigInt and Symbol. @param {unknown} v @returns {number} */
export const toNumber = (v) => +toPrimitive(v, "number");

/** ToString as enum conversion runs it: TypeError for Symbol. @param {unknown} v */
export const toStr = (v) => `${toPrimitive(v, "string")}`;

/**
 * ToBigInt: TypeError for Number, undefined, null and Symbol; SyntaxError for a string that is
 * not an integer (StringToBigInt, which `BigInt(string)` runs). Booleans are 0n/1n.
 * @param {unknown} v @returns {bigint}
 */
export function toBigInt(v) {
  const p = toPrimitive(v, "number");
  if (typeof p === "bigint") return p;
  if (typeof p === "string" || typeof p === "boolean") return BigInt(p);
  throw new TypeError(`Memory: cannot convert ${typeof p === "symbol" ? "a Symbol" : String(p)} to a BigInt`);
}
