// A small reference model of the WebAssembly JS API's Memory constructor and grow(), written from
// the spec text (WebIDL dictionary conversion, AddressValueToU64, the constructor steps), with
// switches for each way an engine is known to differ. The model is run on the same case source as
// our Memory and the engine's, with its own materialisation and log, so that its reads and
// conversions are observed exactly like theirs.
//
// Spec (no switches):
//   descriptor: undefined/null → {} ; other non-objects → TypeError
//   read, in order and once each: address (ToString → must be "i32"/"i64", else TypeError),
//     initial (missing → TypeError at once), maximum, shared (ToBoolean)
//   then convert initial, maximum by the address type:
//     i32: ToNumber, [EnforceRange] unsigned long (NaN/±Inf → TypeError, truncate, outside
//          0..2^32-1 → TypeError); i64: ToBigInt, outside 0..2^64-1 → TypeError
//   then: maximum < initial → RangeError; shared without maximum → TypeError;
//     pages over the address type's limit (2^16 for i32, 2^48 for i64) → RangeError
// grow(delta): convert delta the same way; past maximum (or the limit) → RangeError.

/** The engine-difference switches, each a "deviation kind". */
export const KINDS = {
  convertAtRead: "convert-at-read (each member converted as it is read; reading stops at a conversion error)",
  limitsFirst: "limits-before-shared (page limit and maximum<initial checked as each value is converted, before the shared rule)",
  rangeBeforeTruncation:
    "range-before-truncation (the unsigned long range is checked before truncating: -0.5 and 4294967295.5 are TypeErrors)",
  noAddress: "no-address (address never read; no memory64)",
  i64Limit: "i64-implementation-limit (the engine's memory64 page limit is below 2^48)",
  unfrozenShared: "unfrozen-shared-buffer (shared memory's SharedArrayBuffer not frozen)",
  errorMessageTraps:
    "error-message-traps (building the TypeError of a failed conversion runs ownKeys/getOwnPropertyDescriptor traps on the value to print it)",
};

export const SPEC_I64_LIMIT = 2n ** 48n;
const I32_LIMIT = 65536n;
const U64_END = 2n ** 64n;

const isObject = (v) => v !== null && (typeof v === "object" || typeof v === "function");

/** ECMAScript ToPrimitive(v, hint number), step by step (so every Get and Call is observed). */
export function toPrimitiveNumber(v) {
  if (!isObject(v)) return v;
  const exotic = v[Symbol.toPrimitive];
  if (exotic !== undefined && exotic !== null) {
    if (typeof exotic !== "function") throw new TypeError("model: @@toPrimitive is not callable");
    const r = exotic.call(v, "number");
    if (isObject(r)) throw new TypeError("model: @@toPrimitive returned an object");
    return r;
  }
  for (const name of ["valueOf", "toString"]) {
    const method = v[name];
    if (typeof method === "function") {
      const r = method.call(v);
      if (!isObject(r)) return r;
    }
  }
  throw new TypeError("model: cannot convert object to primitive value");
}

/** ECMAScript ToNumber. */
export function toNumber(v) {
  const p = toPrimitiveNumber(v);
  if (typeof p === "bigint" || typeof p === "symbol") throw new TypeError("model: ToNumber of a BigInt/Symbol");
  return +p;
}

/** ECMAScript ToBigInt. */
export function toBigInt(v) {
  const p = toPrimitiveNumber(v);
  switch (typeof p) {
    case "bigint":
      return p;
    case "boolean":
      return p ? 1n : 0n;
    case "string":
      return BigInt(p); // StringToBigInt: a SyntaxError when it is not an integer literal
    default:
      throw new TypeError(`model: ToBigInt of ${p === null ? "null" : typeof p}`);
  }
}

/** [EnforceRange] unsigned long, after ToNumber. `rangeBeforeTruncation`: V8's order. */
export function enforceU32(v, rangeBeforeTruncation = false) {
  const x = toNumber(v);
  if (!Number.isFinite(x)) throw new TypeError("model: not finite");
  if (rangeBeforeTruncation && (x < 0 || x > 4294967295)) throw new TypeError("model: outside unsigned long before truncation");
  const t = Math.trunc(x);
  if (t < 0 || t > 4294967295) throw new TypeError("model: outside unsigned long");
  return BigInt(t);
}

/** AddressValueToU64. */
export function toU64(v, address, o = {}) {
  if (address === "i32") return enforceU32(v, o.rangeBeforeTruncation);
  const n = toBigInt(v);
  if (n < 0n || n >= U64_END) throw new TypeError("model: outside u64");
  return n;
}

/**
 * Model options:
 *   readAddress (true), convertAtRead, limitsFirst, rangeBeforeTruncation,
 *   i64Limit (the page limit the validation uses for i64; spec 2^48),
 *   allocI64Limit (sizes above it fail allocation with a RangeError, after validation),
 *   memory64 (false: an i64 memory is refused with a RangeError after validation, as ours does),
 *   packageI64Maximum (the package's own construction: see PACKAGE_I64_MAXIMUM)
 */
/** The largest non-shared i64 maximum the package makes on an engine whose own limit is lower. */
const PACKAGE_I64_MAXIMUM = 2n ** 37n - 1n;

export function specOptions(extra = {}) {
  // convertAtRead: the spec's own tests and every engine convert each member as it is read (the
  // prose's `typedef any AddressValue` alone reads all first); the package follows the tests.
  return {
    readAddress: true,
    convertAtRead: true,
    limitsFirst: false,
    rangeBeforeTruncation: false,
    i64Limit: SPEC_I64_LIMIT,
    allocI64Limit: null,
    memory64: true,
    ...extra,
  };
}

/**
 * Runs the constructor steps on a materialised descriptor. Returns the memory type
 * `{ address, initial, maximum, shared }` (sizes as BigInts) or throws what the steps throw.
 */
export function modelConstruct(d, o) {
  if (!isObject(d) && d !== undefined && d !== null) throw new TypeError("model: descriptor is not an object");
  const get = (k) => (isObject(d) ? d[k] : undefined);
  let address = "i32";
  if (o.readAddress) {
    const a = get("address");
    if (a !== undefined) {
      const s = `${a}`;
      if (s !== "i32" && s !== "i64") throw new TypeError("model: bad address");
      address = s;
    }
  }
  const iv = get("initial");
  if (iv === undefined) throw new TypeError("model: initial missing");
  const limit = address === "i64" ? o.i64Limit : I32_LIMIT;
  let initial;
  let maximum;
  const convertInitial = () => {
    initial = toU64(iv, address, o);
    if (o.limitsFirst && initial > limit) throw new RangeError("model: initial over the limit");
  };
  const convertMaximum = (mv) => {
    if (mv === undefined) return;
    maximum = toU64(mv, address, o);
    if (o.limitsFirst) {
      if (maximum > limit) throw new RangeError("model: maximum over the limit");
      if (maximum < initial) throw new RangeError("model: maximum below initial");
    }
  };
  if (o.convertAtRead) convertInitial();
  const mv = get("maximum");
  if (o.convertAtRead) convertMaximum(mv);
  const shared = Boolean(get("shared"));
  if (!o.convertAtRead) {
    convertInitial();
    convertMaximum(mv);
  }
  if (!o.limitsFirst) {
    if (maximum !== undefined && maximum < initial) throw new RangeError("model: maximum below initial");
    if (shared && maximum === undefined) throw new TypeError("model: shared without maximum");
    if (initial > limit) throw new RangeError("model: initial over the limit");
    if (maximum !== undefined && maximum > limit) throw new RangeError("model: maximum over the limit");
  } else if (shared && maximum === undefined) {
    throw new TypeError("model: shared without maximum");
  }
  // The package asks an engine that refuses a non-shared i64 maximum up to 2^37-1 (the spec's
  // tests' bound) for a memory without one: only `initial` then meets the engine's own limit.
  const maximumLimit =
    o.packageI64Maximum && !shared && o.allocI64Limit !== null && o.allocI64Limit < PACKAGE_I64_MAXIMUM
      ? PACKAGE_I64_MAXIMUM
      : o.allocI64Limit;
  if (address === "i64" && o.allocI64Limit !== null && (initial > o.allocI64Limit || (maximum ?? 0n) > maximumLimit)) {
    throw new RangeError("model: the engine cannot allocate that i64 memory");
  }
  if (address === "i64" && !o.memory64) throw new RangeError("model: no memory64");
  return { address, initial, maximum, shared };
}

/**
 * grow(delta) on a memory in `state` ({ address, pages: bigint, maximum?: bigint }), which it
 * updates. Returns the old size (a BigInt) or throws.
 */
export function modelGrow(state, delta, o) {
  const d = toU64(delta, state.address, o);
  const limit = state.maximum ?? (state.address === "i64" ? o.i64Limit : I32_LIMIT);
  if (state.pages + d > limit) throw new RangeError("model: grow past the maximum");
  if (state.address === "i64" && o.allocI64Limit !== null && state.pages + d > o.allocI64Limit) {
    throw new RangeError("model: the engine cannot allocate that many pages");
  }
  const old = state.pages;
  state.pages += d;
  return old;
}

/** Every subset of `flags`, smallest first (for finding which deviations explain a result). */
export function subsets(flags) {
  const out = [];
  for (let mask = 1; mask < 1 << flags.length; mask++) out.push(flags.filter((_, i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length);
}
