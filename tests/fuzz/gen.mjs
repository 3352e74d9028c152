// Seeded generation of fuzz cases, as JavaScript source.
//
// Every case is a source expression (a descriptor, or a grow delta) over a small set of helpers
// `h.*` (see `makeHelpers`), so that one case can be materialised as many times as needed (once
// for our Memory, once for the engine's, once per reference model), each time with fresh objects
// and its own log, and so that a failing case prints as JS that can be pasted back.

/** A seeded PRNG (sfc32, seeded through splitmix32). Returns floats in [0, 1). */
export function prng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = split(),
    b = split(),
    c = split(),
    d = split();
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** An error thrown by a hook (getter, valueOf, toString, toPrimitive) of a case. */
export class HookError extends Error {
  constructor(label) {
    super(`hook ${label}`);
    this.name = "HookError";
    this.label = label;
  }
}

const KEYED = new Set(["get", "has", "getOwnPropertyDescriptor", "set", "defineProperty", "deleteProperty"]);
const TRAPS = [
  "get",
  "has",
  "getOwnPropertyDescriptor",
  "ownKeys",
  "set",
  "defineProperty",
  "deleteProperty",
  "getPrototypeOf",
  "setPrototypeOf",
  "isExtensible",
  "preventExtensions",
  "apply",
  "construct",
];

/**
 * The helpers a case's source uses. Everything observable is pushed onto `log` as a string.
 * `env` supplies what a case may do re-entrantly: `reenter()` (make a memory with the constructor
 * under test), `growSelf()` (grow the memory whose grow() is under test by 1).
 */
export function makeHelpers(log, env = {}) {
  const thrown = [];
  const fail = (label) => {
    const e = new HookError(label);
    thrown.push(e);
    throw e;
  };
  const copy = (target, props) => Object.defineProperties(target, Object.getOwnPropertyDescriptors(props));
  const proxy = (target, label) =>
    new Proxy(
      target,
      Object.fromEntries(
        TRAPS.map((trap) => [
          trap,
          (...args) => {
            log.push(KEYED.has(trap) ? `${trap} ${label}${String(args[1])}` : label ? `${trap} ${label}` : trap);
            return Reflect[trap](...args);
          },
        ]),
      ),
    );
  return {
    log,
    thrown,
    /** valueOf that logs */
    v: (label, x) => ({
      valueOf() {
        log.push(`valueOf ${label}`);
        return x;
      },
    }),
    /** toString that logs (valueOf is Object.prototype's, which returns the object) */
    t: (label, x) => ({
      toString() {
        log.push(`toString ${label}`);
        return x;
      },
    }),
    /** valueOf returns an object, so ToPrimitive goes on to toString */
    vt: (label, x) => ({
      valueOf() {
        log.push(`valueOf ${label}`);
        return this;
      },
      toString() {
        log.push(`toString ${label}`);
        return x;
      },
    }),
    /** Symbol.toPrimitive that logs the hint */
    tp: (label, x) => ({
      [Symbol.toPrimitive](hint) {
        log.push(`toPrimitive ${label} ${hint}`);
        return x;
      },
    }),
    /** valueOf that throws */
    vthr: (label) => ({
      valueOf() {
        log.push(`valueOf ${label}`);
        fail(label);
      },
    }),
    /** toString that throws */
    tthr: (label) => ({
      toString() {
        log.push(`toString ${label}`);
        fail(label);
      },
    }),
    /** Symbol.toPrimitive that returns an object (a TypeError) */
    tpobj: (label) => ({
      [Symbol.toPrimitive](hint) {
        log.push(`toPrimitive ${label} ${hint}`);
        return {};
      },
    }),
    /** Symbol.toPrimitive that is not callable (a TypeError) */
    tpbad: () => ({ [Symbol.toPrimitive]: 1 }),
    /** neither valueOf nor toString give a primitive (a TypeError) */
    noprim: (label) => ({
      valueOf() {
        log.push(`valueOf ${label}`);
        return {};
      },
      toString() {
        log.push(`toString ${label}`);
        return {};
      },
    }),
    /** a getter's body: logs and returns */
    g: (label, x) => {
      log.push(`getter ${label}`);
      return x;
    },
    /** a getter's body: logs and throws */
    gthr: (label) => {
      log.push(`getter ${label}`);
      fail(label);
    },
    /** valueOf that re-enters the constructor under test first */
    re: (label, x) => ({
      valueOf() {
        log.push(`valueOf ${label}`);
        env.reenter?.();
        log.push("reentered");
        return x;
      },
    }),
    /** valueOf that grows the memory under test by one page first */
    gs: (label, x) => ({
      valueOf() {
        log.push(`valueOf ${label}`);
        env.growSelf?.();
        log.push("grew self");
        return x;
      },
    }),
    /** a Proxy logging every trap; `label` prefixes the keys ("" for the descriptor itself) */
    px: (target, label = "") => proxy(target, label),
    /** a revoked Proxy: every trap throws a TypeError */
    revoked: () => {
      const r = Proxy.revocable({}, {});
      r.revoke();
      return r.proxy;
    },
    /** a function carrying the members */
    fn: (props) => copy(function descriptor() {}, props),
    /** a null-prototype object */
    np: (props) => copy(Object.create(null), props),
    /** an object inheriting the members */
    inh: (props) => Object.create(props),
    /** an array carrying the members */
    arr: (props) => copy([], props),
    frz: (o) => Object.freeze(o),
  };
}

/** Compiles a case's source once; call the result with fresh helpers for each materialisation. */
export function compile(src) {
  // eslint-disable-next-line no-new-func
  return new Function("h", `"use strict"; return (${src});`);
}

/**
 * Compiles many cases' sources as one script (a browser under automation keeps every compiled
 * script, and full GCs get slower with each); falls back to one at a time on a syntax error.
 */
export function compileMany(srcs) {
  try {
    // eslint-disable-next-line no-new-func
    return new Function(`"use strict"; return [${srcs.map((s) => `function (h) { return (${s}); }`).join(",\n")}];`)();
  } catch {
    return srcs.map(compile);
  }
}

/**
 * The accepted cases of a generator, in order, compiled 32 at a time. `accept(case, fn)` drops
 * cases (counted in `rejected`); the order of accepted cases is that of one-by-one generation.
 */
export class CaseStream {
  constructor(next, srcOf, accept) {
    this.next = next;
    this.srcOf = srcOf;
    this.accept = accept;
    this.buf = [];
    this.rejected = 0;
  }
  take() {
    while (this.buf.length === 0) {
      const cands = Array.from({ length: 32 }, () => this.next());
      const fns = compileMany(cands.map(this.srcOf));
      cands.forEach((c, k) => {
        if (this.accept(c, fns[k])) this.buf.push({ c, fn: fns[k] });
        else this.rejected++;
      });
    }
    return this.buf.shift();
  }
}

/** Exact JS source of a Number. */
export function numSrc(x) {
  if (Object.is(x, -0)) return "-0";
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return String(x);
}

const NUM_SPECIAL = [
  0.5,
  1.5,
  2.9999,
  0.0001,
  1e-300,
  Number.MIN_VALUE,
  Number.EPSILON,
  -0,
  -0.5,
  -0.9,
  -1e-300,
  -Number.MIN_VALUE,
  -1,
  -2,
  -4294967296,
  NaN,
  Infinity,
  -Infinity,
  2 ** 32,
  2 ** 32 - 1,
  2 ** 32 - 0.5,
  2 ** 32 + 0.5,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  1e21,
  65535,
  65536,
  65537,
  70000,
  262144,
  262145,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  16.5,
  3.999999999,
];
const BIG_SPECIAL = [
  "-1n",
  "-(2n ** 64n)",
  "2n ** 64n",
  "2n ** 64n - 1n",
  "2n ** 63n",
  "2n ** 48n",
  "2n ** 48n + 1n",
  "65536n",
  "65537n",
  "262144n",
  "262145n",
  "2n ** 32n",
  "2n ** 37n - 1n",
  "2n ** 40n",
  "10n ** 30n",
  "-(2n ** 63n)",
  "2n ** 100n",
];
const STR_POOL = [
  '"0"',
  '"1"',
  '"2"',
  '"3"',
  '" 2 "',
  '"0x2"',
  '"0b11"',
  '"0o3"',
  '"1e1"',
  '"1.5"',
  '"-0"',
  '""',
  '"abc"',
  '"Infinity"',
  '"-1"',
  '"4294967296"',
  '"65537"',
  '"1n"',
  '"\\t3\\n"',
  '"2.5e0"',
  '"-0x1"',
  '"18446744073709551616"',
  '"18446744073709551615"',
];
const MISC_POOL = [
  "true",
  "false",
  "null",
  "undefined",
  'Symbol("s")',
  "[]",
  "[2]",
  "[1, 2]",
  '["3"]',
  "({})",
  "new Date(2)",
  "Object(2)",
  "Object(2n)",
  'Object("3")',
  'Object(Symbol("w"))',
  "(function () {})",
  "/x/",
  "Object(true)",
];
const ADDRESS_POOL = [
  '"i32"',
  '"i64"',
  '"i65"',
  '""',
  '"I64"',
  '"i64 "',
  '"i32\\u0000"',
  '"memory64"',
  "32",
  "64",
  "null",
  "true",
  'Symbol("a")',
  'Object("i64")',
  'Object("i32")',
  '["i64"]',
  "({})",
];
const SHARED_POOL = [
  "true",
  "false",
  "1",
  "0",
  '""',
  '"yes"',
  "null",
  "undefined",
  "0n",
  "1n",
  "NaN",
  "({})",
  'Symbol("s")',
  "[]",
  '"false"',
  "-0",
];

export class Gen {
  constructor(seed) {
    this.r = prng(seed);
  }
  f() {
    return this.r();
  }
  int(n) {
    return Math.floor(this.r() * n);
  }
  chance(p) {
    return this.r() < p;
  }
  pick(a) {
    return a[this.int(a.length)];
  }
  /** weighted choice: [[weight, () => value], ...] */
  one(choices) {
    let total = 0;
    for (const [w] of choices) total += w;
    let x = this.r() * total;
    for (const [w, f] of choices) {
      if ((x -= w) < 0) return f();
    }
    return choices[choices.length - 1][1]();
  }

  smallInt() {
    return this.one([
      [6, () => this.int(3)],
      [3, () => 3 + this.int(2)],
      [1, () => 5 + this.int(12)],
    ]);
  }
  number() {
    return this.one([
      [55, () => numSrc(this.smallInt())],
      [30, () => numSrc(this.pick(NUM_SPECIAL))],
      [8, () => numSrc(Math.round(this.f() * 800) / 100 - 2)],
      [7, () => numSrc(this.pick([1, -1]) * 2 ** this.int(70) + this.pick([0, 0, 1, -1, 0.5]))],
    ]);
  }
  bigint() {
    return this.one([
      [65, () => `${this.smallInt()}n`],
      [35, () => this.pick(BIG_SPECIAL)],
    ]);
  }
  /** A primitive (or wrapper-free value) for an AddressValue; `lean` is "i32" or "i64". */
  primitive(lean) {
    const n = lean === "i64" ? 15 : 62;
    const b = lean === "i64" ? 62 : 15;
    return this.one([
      [n, () => this.number()],
      [b, () => this.bigint()],
      [12, () => this.pick(STR_POOL)],
      [11, () => this.pick(MISC_POOL)],
    ]);
  }
  /** Maybe wraps a value source in a hook object. */
  hooked(label, inner) {
    const L = JSON.stringify(label);
    return this.one([
      [80, () => inner],
      [4, () => `h.v(${L}, ${inner})`],
      [2, () => `h.t(${L}, ${inner})`],
      [2, () => `h.vt(${L}, ${inner})`],
      [2, () => `h.tp(${L}, ${inner})`],
      [1.5, () => `h.vthr(${L})`],
      [0.5, () => `h.tthr(${L})`],
      [0.5, () => `h.tpobj(${L})`],
      [0.5, () => "h.tpbad()"],
      [0.5, () => `h.noprim(${L})`],
      [1.5, () => `h.re(${L}, ${inner})`],
      [2, () => `h.px(h.v(${L}, ${inner}), ${JSON.stringify(label + ":")})`],
      [1, () => `h.px(h.t(${L}, ${inner}), ${JSON.stringify(label + ":")})`],
      [1, () => `h.px({}, ${JSON.stringify(label + ":")})`],
    ]);
  }
  addressValue(label, lean) {
    return this.hooked(label, this.primitive(lean));
  }
  address() {
    return this.one([
      [40, () => '"i32"'],
      [40, () => '"i64"'],
      [14, () => this.pick(ADDRESS_POOL)],
      [2, () => 'h.t("address", "i64")'],
      [1, () => 'h.t("address", "i32")'],
      [1, () => 'h.tp("address", "i64")'],
      [1, () => 'h.tthr("address")'],
      [1, () => 'h.px(h.t("address", "i64"), "address:")'],
    ]);
  }
  shared() {
    return this.one([
      [55, () => "true"],
      [15, () => "false"],
      [30, () => this.pick(SHARED_POOL)],
    ]);
  }
  /** One member of a descriptor literal, as `key: value` or a getter. */
  member(key, value) {
    return this.one([
      [88, () => `${key}: ${value}`],
      [8, () => `get ${key}() { return h.g(${JSON.stringify(key)}, ${value}); }`],
      [2, () => `get ${key}() { return h.gthr(${JSON.stringify(key)}); }`],
      [2, () => `${key}: undefined`],
    ]);
  }

  /** A descriptor case: the source of the value passed to `new Memory(...)`. */
  descriptor() {
    const kind = this.one([
      [92, () => "object"],
      [8, () => "other"],
    ]);
    if (kind === "other") {
      return this.one([
        [2, () => "undefined"],
        [2, () => "null"],
        [1, () => this.number()],
        [1, () => this.pick(STR_POOL)],
        [1, () => "true"],
        [1, () => 'Symbol("d")'],
        [1, () => this.bigint()],
        [2, () => "h.revoked()"],
        [1, () => "h.px(h.revoked())"],
      ]);
    }
    const members = [];
    let lean = "i32";
    if (this.chance(0.5)) {
      const a = this.address();
      if (/i64/.test(a)) lean = "i64";
      members.push(this.member("address", a));
    }
    if (this.chance(0.93)) members.push(this.member("initial", this.addressValue("initial", lean)));
    if (this.chance(0.5)) members.push(this.member("maximum", this.addressValue("maximum", lean)));
    if (this.chance(0.45)) members.push(this.member("shared", this.shared()));
    // Property order in the literal is irrelevant to the spec (members are read by name).
    for (let i = members.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [members[i], members[j]] = [members[j], members[i]];
    }
    const lit = `{ ${members.join(", ")} }`;
    return this.one([
      [45, () => `(${lit})`],
      [28, () => `h.px(${lit})`],
      [5, () => `h.frz(${lit})`],
      [5, () => `h.np(${lit})`],
      [5, () => `h.inh(${lit})`],
      [4, () => `h.fn(${lit})`],
      [2, () => `h.px(h.fn(${lit}))`],
      [2, () => `h.arr(${lit})`],
      [2, () => `h.px(h.inh(h.px(${lit}, "proto:")))`],
      [2, () => `h.px(h.frz(h.np(${lit})))`],
    ]);
  }

  /** A grow case: a plain memory descriptor and the source of the delta. */
  grow() {
    const address = this.chance(0.3) ? "i64" : "i32";
    const initial = this.int(4);
    const shared = this.chance(0.15);
    const maximum = shared || this.chance(0.6) ? initial + this.int(5) : undefined;
    const mem = { address, initial, maximum, shared };
    let delta = this.hooked("delta", this.primitive(address));
    if (this.chance(0.04)) delta = `h.gs("delta", ${this.primitive(address)})`;
    return { mem, delta };
  }
}

/** The plain descriptor of a grow case's memory, as source (BigInts for i64). */
export function memSrc({ address, initial, maximum, shared }) {
  const v = (x) => (address === "i64" ? `${x}n` : `${x}`);
  const parts = [];
  if (address === "i64") parts.push('address: "i64"');
  parts.push(`initial: ${v(initial)}`);
  if (maximum !== undefined) parts.push(`maximum: ${v(maximum)}`);
  if (shared) parts.push("shared: true");
  return `{ ${parts.join(", ")} }`;
}

/** The helper definitions, printed with a failing case so that it can be replayed. */
export const HELPERS_NOTE = "h = makeHelpers(log) from tests/fuzz/gen.mjs";
