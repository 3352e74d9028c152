// ECMAScript abstract operations the bindings need exactly as the engine runs them.
// Each runs a user's valueOf / toString / Symbol.toPrimitive exactly once and throws the
// engine's own error, which the bindings pass on unchanged. Imported with `catch` in
// src/bindings/convert.rs.

/** ToNumber(v): TypeError for BigInt and Symbol. @param {unknown} v @returns {number} */
export function toNumber(v) {
  return +v;
}

/**
 * ToBigInt(v): TypeError for Number, undefined, null and Symbol; SyntaxError for a string that
 * is not an integer. BigInt.asIntN runs exactly ToBigInt on its second argument, and with 2^53-1
 * bits it returns every BigInt an engine can hold unchanged (V8 caps BigInts at 2^30 bits).
 * @param {unknown} v @returns {bigint}
 */
export function toBigInt(v) {
  return BigInt.asIntN(Number.MAX_SAFE_INTEGER, v);
}

/** ToString(v) as WebIDL enum conversion runs it: TypeError for Symbol. @param {unknown} v @returns {string} */
export function toStringStrict(v) {
  return `${v}`;
}

/** What a value is, for error messages; never throws and runs no user code. @param {unknown} v */
export function describe(v) {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "bigint":
      return `${v}n`;
    case "symbol":
    case "object":
    case "function":
      return `a value of type ${typeof v}`;
    default:
      return String(v);
  }
}
