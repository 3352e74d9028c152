// What the bindings need to print values in error messages. (The ECMAScript conversions that
// run user code, ToNumber/ToString/ToBigInt, are done in js/api.js, so that a user's exception
// never has to travel through wasm.)

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
