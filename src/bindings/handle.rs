//! [`Core`]: the library object the JS entry calls. One instance per module instance; every
//! method is a thin door into [`super::memory`], [`super::ledger`], [`super::modules`] or
//! [`super::events`], taking and returning plain values.

use alloc::{string::String, vec::Vec};

use wasm_bindgen::prelude::*;

use super::errors::{js_error, Failure};
use super::values::describe;
use super::{events, ledger, memory, modules, realms, state};
use crate::core::{enforce_range_u32, AddressType, Engine, Error, Field, MemoryType};

type JsResult<T> = Result<T, JsValue>;

/// `ledger.watch()`'s interval when none is given, in milliseconds.
pub const WATCH_MS: f64 = 250.0;

fn field(code: u8) -> Field {
    ledger::FIELDS
        .get(usize::from(code))
        .copied()
        .unwrap_or(Field::Delta)
}

fn js<T>(r: Result<T, Failure>) -> JsResult<T> {
    r.map_err(JsValue::from)
}

/// The core of the polyfill as JS sees it: rules, budgets and the ledger, as static methods
/// (the JS entry hands the class itself to `createApi`). The state is per module instance
/// (see [`state`]), so there is no object to pass: no `this` to check on every call, which
/// saves about 5 KB of wasm (1.4 KB gzip) over instance methods.
#[wasm_bindgen]
pub struct Core {
    _private: (),
}

impl Core {
    /// A value of the class, for a caller in Rust that needs the class as a JS value (the
    /// wasm-bindgen tests: `JsValue::from(Core::token())`'s `constructor`).
    pub fn token() -> Core {
        Core { _private: () }
    }
}

#[wasm_bindgen]
impl Core {
    /// Starts the core; `memory64`: whether the engine validates memory64 modules.
    pub fn start(memory64: bool) {
        state::set_memory64(memory64);
    }

    /// Tells the core which engine family runs it (a name of `layout.engines`, detected once by
    /// the JS entry at start), for the reservation model; any other name: unknown.
    #[wasm_bindgen(js_name = setEngine)]
    pub fn set_engine(name: String) {
        let engine = Engine::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .unwrap_or(Engine::Unknown);
        state::set_engine(engine.code());
    }

    /// `ledger.headroom(type)`: `[memories, bytes]` the engine is expected to still grant
    /// memories of this type in this realm, or `[]` where no limit is known. `maximum`: pages,
    /// -1 for none.
    pub fn headroom(is64: bool, shared: bool, maximum: f64) -> Vec<f64> {
        let ty = MemoryType {
            address: memory::address(is64),
            minimum: 1,
            // Saturating casts: NaN is 0, anything larger the largest.
            maximum: (maximum >= 0.0).then_some(maximum as u64),
            shared,
        };
        state::with_ledger(|l| ledger::headroom(l, &ty))
            .map_or_else(Vec::new, |h| alloc::vec![h.memories as f64, h.bytes as f64])
    }

    /// The layouts and constants JS reads by name, as JSON (see [`ledger::layout`]).
    pub fn layout() -> String {
        ledger::layout()
    }

    /// How many calls were found abandoned while they held the core's state (a JS exception
    /// unwound them there); the hostile-input tests expect 0.
    pub fn abandoned() -> u32 {
        state::abandoned()
    }

    /// Called by the JS side before the next call after one that a JS exception cut short:
    /// forgets the slots that call held (see [`state::recover`]).
    pub fn recover() {
        state::recover();
    }

    // ---- reading a descriptor (JS runs the conversions; the rules and messages are here) ----

    /// WebIDL enum conversion of `descriptor.address` (after ToString): `true` for "i64".
    #[wasm_bindgen(js_name = addressIs64)]
    pub fn address_is64(s: String) -> JsResult<bool> {
        match AddressType::parse(&s) {
            Some(a) => Ok(a == AddressType::I64),
            None => Err(js_error(Error::UnknownAddress(s))),
        }
    }

    /// `[EnforceRange] unsigned long` on a Number ToNumber produced that is not already an
    /// integer in range (JS skips the call for those): the truncated value, or the TypeError.
    #[wasm_bindgen(js_name = enforceU32)]
    pub fn enforce_u32(field_code: u8, x: f64) -> JsResult<f64> {
        let v = enforce_range_u32(field(field_code), x, super::values::number_text)
            .map_err(js_error)?;
        Ok(f64::from(v))
    }

    /// The u64 range of `AddressValueToU64` for i64, on the BigInt ToBigInt produced.
    #[wasm_bindgen(js_name = checkU64)]
    pub fn check_u64(field_code: u8, v: JsValue) -> JsResult<()> {
        js(super::values::to_u64(&v, field(field_code)).map(drop))
    }

    /// The TypeError for a descriptor that is neither an object nor undefined/null.
    #[wasm_bindgen(js_name = notObject)]
    pub fn not_object(v: JsValue) -> JsValue {
        js_error(Error::DescriptorNotObject(describe(&v)))
    }

    /// The TypeError for a missing `initial`.
    #[wasm_bindgen(js_name = missingInitial)]
    pub fn missing_initial() -> JsValue {
        js_error(Error::MissingInitial)
    }

    /// The RangeError for an allocation the engine refused in its own way.
    #[wasm_bindgen(js_name = allocationFailed)]
    pub fn allocation_failed(what: String) -> JsValue {
        js_error(Error::AllocationFailed(what))
    }

    // ---- construction, grow, type() ----

    /// Checks a construction (options, rules, memory64, budget) before the engine is asked;
    /// returns the maximum to give it. `sizes` (`[id, pages, ...]`) only under a budget.
    #[wasm_bindgen(js_name = planCreate)]
    #[allow(clippy::too_many_arguments)]
    pub fn plan_create(
        is64: bool,
        initial: JsValue,
        maximum: JsValue,
        shared: bool,
        options: JsValue,
        label: JsValue,
        sizes: Option<Vec<f64>>,
    ) -> JsResult<JsValue> {
        js(memory::plan_create(
            is64, &initial, &maximum, shared, &options, &label, sizes,
        ))
    }

    /// The common construction in one crossing, numbers only: an i32 memory the engine has
    /// already made from `{ initial, maximum, shared }` (`maximum` < 0: none), with no options,
    /// no budget in force and no stack to record. It is checked as [`Core::plan_create`] checks
    /// one (for i32 page counts the engines refuse exactly what the spec refuses, so this fails
    /// only where an engine is laxer) and entered; returns its ledger id.
    #[wasm_bindgen(js_name = createPlain)]
    pub fn create_plain(
        id: u32,
        initial: f64,
        maximum: f64,
        shared: bool,
        created: f64,
    ) -> JsResult<u32> {
        let ty = crate::core::RequestedType {
            address: AddressType::I32,
            initial: initial as u64,
            maximum: (maximum >= 0.0).then_some(maximum as u64),
            shared,
        }
        .validate()
        .map_err(js_error)?;
        // What the plan would give with no budget in force (the quiet case).
        let entry = crate::core::Entry {
            plan: crate::core::CreatePlan::adopted(ty, true),
            pages: ty.minimum,
            label: None,
            origin: crate::core::Origin::Constructed,
            created_ms: created,
            stack: None,
            defined_by: None,
            instances: 0,
        };
        let quiet = state::ledger_quietly(
            |l| l.plan_quiet_create(id, false),
            |l, id| {
                l.apply_quiet_create(id, entry);
                id
            },
        );
        if let Some(id) = quiet {
            return Ok(id);
        }
        state::with_ledger_light(|l| {
            let plan = l.plan_create(ty)?;
            l.next_id_at_least(id);
            let origin = crate::core::Origin::Constructed;
            Ok(l.commit_create(plan, ty.minimum, None, origin, created, None, None))
        })
        .map_err(js_error)
    }

    /// Any other construction while no budget is in force (options and a label, i64, a stack
    /// to record), in one crossing: the engine has already made the memory (JS asks it first
    /// only when `newTarget` is its own constructor, so that is unobservable), and this checks
    /// what [`Core::plan_create`] checks, in its order and with its errors, then records it as
    /// [`Core::commit_create`] does. On an error nothing is recorded and JS drops the memory.
    /// Without a budget the plan never clamps, so the maximum the engine got is the one asked.
    #[wasm_bindgen(js_name = createMade)]
    #[allow(clippy::too_many_arguments)]
    pub fn create_made(
        id: u32,
        is64: bool,
        initial: JsValue,
        maximum: JsValue,
        shared: bool,
        options: JsValue,
        label: JsValue,
        created: f64,
        stack: Option<String>,
    ) -> JsResult<u32> {
        let effective = js(memory::plan_create(
            is64, &initial, &maximum, shared, &options, &label, None,
        ))?;
        js(memory::commit_create(
            id, is64, &initial, &maximum, &effective, shared, &label, created, stack,
        ))
    }

    /// Enters a memory the engine made under `id` (the JS side hands out the ids); returns its
    /// ledger id.
    #[wasm_bindgen(js_name = commitCreate)]
    #[allow(clippy::too_many_arguments)]
    pub fn commit_create(
        id: u32,
        is64: bool,
        initial: JsValue,
        maximum: JsValue,
        effective: JsValue,
        shared: bool,
        label: JsValue,
        created: f64,
        stack: Option<String>,
    ) -> JsResult<u32> {
        js(memory::commit_create(
            id, is64, &initial, &maximum, &effective, shared, &label, created, stack,
        ))
    }

    /// Checks `grow(delta)` of memory `id` (now `pages`) against its limits and the budget.
    #[wasm_bindgen(js_name = planGrow)]
    pub fn plan_grow(id: u32, pages: f64, delta: JsValue, sizes: Option<Vec<f64>>) -> JsResult<()> {
        js(memory::plan_grow(id, pages, &delta, sizes))
    }

    /// Records a `grow()` the engine did: memory `id` now has `pages`.
    #[wasm_bindgen(js_name = commitGrow)]
    pub fn commit_grow(id: u32, pages: f64) {
        let pages = pages as u64;
        let quiet = state::ledger_quietly(
            |l| l.plan_quiet_resize(id, pages),
            |l, r| l.apply_quiet_resize(r),
        );
        if quiet.is_none() {
            state::with_ledger_light(|l| l.commit_grow(id, pages));
        }
    }

    /// The engine refused `operation` (a construction, a grow or an instance, by its code in
    /// `layout().operations`) of `pages` pages (of memory `id`, -1: none) for want of memory:
    /// queues a `failure` event and returns what its error's message gets after the engine's
    /// words.
    pub fn failure(operation: u8, id: i32, pages: f64) -> String {
        memory::failure(operation, id, pages)
    }

    /// The error for a grow the engine refused.
    #[wasm_bindgen(js_name = growError)]
    pub fn grow_error(id: u32, pages: f64, delta: JsValue, engine: JsValue) -> JsValue {
        memory::grow_error(id, pages, &delta, engine)
    }

    /// `type()`'s numbers for the memory with ledger id `id` (-1: unknown), now `pages` pages.
    #[wasm_bindgen(js_name = typeOf)]
    pub fn type_of(id: i32, pages: f64) -> JsResult<f64> {
        js(memory::type_of(id, pages))
    }

    /// Enters a memory a module exported, numbers only (`maximum`, `requested`: page counts, -1
    /// for none; exact in an f64 up to 2^53), counted for `instances` instances from the start;
    /// returns its ledger id.
    #[allow(clippy::too_many_arguments)]
    pub fn adopt(
        id: u32,
        pages: f64,
        shared: bool,
        is64: bool,
        maximum: f64,
        requested: f64,
        maximum_known: bool,
        bounded: bool,
        created: f64,
        defined_by: Option<String>,
        instances: u32,
    ) -> u32 {
        memory::adopt(
            id,
            pages,
            shared,
            is64,
            maximum,
            requested,
            maximum_known,
            bounded,
            created,
            defined_by,
            instances,
        )
    }

    /// An instance importing or exporting the ledgered memories `ids` was made (`made`), or
    /// garbage-collected.
    #[wasm_bindgen(js_name = countInstance)]
    pub fn count_instance(ids: Vec<u32>, made: bool) {
        state::with_ledger(|l| l.count_instance(&ids, made));
    }

    /// [`Core::count_instance`] of one memory (the common case), numbers only: nothing to
    /// allocate, and quiet (no stack room) when the ledger holds it.
    #[wasm_bindgen(js_name = countInstanceOf)]
    pub fn count_instance_of(id: u32, made: bool) {
        let quiet = state::ledger_quietly(
            |l| l.plan_quiet_count(id),
            |l, slot| l.apply_quiet_count(slot, made),
        );
        if quiet.is_none() {
            state::with_ledger(|l| l.count_instance(&[id], made));
        }
    }

    /// Enters a memory this realm met as an import but did not make; returns its ledger id.
    pub fn receive(id: u32, pages: f64, shared: bool, is64: bool, created: f64) -> u32 {
        memory::receive(id, pages, shared, is64, created)
    }

    /// Ledgered memories were garbage-collected (ids no longer in the ledger are ignored).
    #[wasm_bindgen(js_name = collectedAll)]
    pub fn collected_all(ids: Vec<u32>) {
        state::with_ledger_light(|l| ids.iter().for_each(|&id| l.collect(id)));
    }

    /// Sizes read from the engine, `[id, pages, ...]`.
    pub fn observe(sizes: Vec<f64>) {
        memory::observe_sizes(&sizes);
    }

    // ---- modules (numbers only: see the `modules` module) ----

    /// This module's own memory, for the JS entry's views of the buffers a module's reading
    /// crosses in (never handed to anyone else).
    pub fn heap() -> JsValue {
        wasm_bindgen::memory()
    }

    /// Makes the module-reading input `len` bytes long; returns where it starts.
    #[wasm_bindgen(js_name = moduleInput)]
    pub fn module_input(len: u32) -> u32 {
        modules::input(len)
    }

    /// Reads a module's memory types from the input (`small`, `names`, `url` bytes, `sizes`
    /// numbers at byte `sizes_at`), under a hard budget (`clamp`) with its memory section
    /// rewritten to the clamp (`report`: a refusal is reported and kept); returns where the
    /// answer starts (laid out by `layout().module`).
    #[wasm_bindgen(js_name = moduleMemories)]
    pub fn module_memories(
        small: u32,
        names: u32,
        url: u32,
        sizes_at: u32,
        sizes: u32,
        clamp: bool,
        report: bool,
    ) -> u32 {
        modules::read(small, names, url, sizes_at, sizes, clamp, report)
    }

    /// The budget's refusal of the module last read with `report`, as a `RangeError`.
    #[wasm_bindgen(js_name = moduleRefusal)]
    pub fn module_refusal() -> JsValue {
        modules::refusal()
    }

    // ---- the ledger ----

    /// Makes room for `pairs` sizes in the snapshot's input (see [`ledger::snapshot_input`]).
    #[wasm_bindgen(js_name = snapshotInput)]
    pub fn snapshot_input(pairs: u32) -> u32 {
        ledger::snapshot_input(pairs)
    }

    /// Takes `pairs` sizes from the input and writes a snapshot's numbers in place; returns
    /// where they start (see [`ledger::snapshot_rows`]).
    #[wasm_bindgen(js_name = snapshotRows)]
    pub fn snapshot_rows(pairs: u32) -> u32 {
        ledger::snapshot_rows(pairs)
    }

    /// The texts of the last snapshot, one after the other.
    #[wasm_bindgen(js_name = snapshotTexts)]
    pub fn snapshot_texts() -> String {
        ledger::snapshot_texts()
    }

    /// `ledger.snapshotArray()`.
    #[wasm_bindgen(js_name = snapshotArray)]
    pub fn snapshot_array() -> Vec<f64> {
        ledger::snapshot_array()
    }

    /// `ledger.setBudget()`; returns the budget in force in this realm: 0 none, 1 soft, 2 hard
    /// (`appPages` is app-wide and only reported). One number, so JS learns both at once.
    #[wasm_bindgen(js_name = setBudget)]
    pub fn set_budget(
        budget: JsValue,
        total: JsValue,
        per: JsValue,
        memories: JsValue,
        mode: JsValue,
        app: JsValue,
        reserved: JsValue,
    ) -> JsResult<u8> {
        js(ledger::set_budget(
            &budget, &total, &per, &memories, &mode, &app, &reserved,
        ))?;
        Ok(state::with_ledger(|l| match l.budget() {
            None => 0,
            Some(b) if b.mode == crate::core::BudgetMode::Hard => 2,
            Some(_) => 1,
        }))
    }

    /// A number that changes whenever a snapshot would (lets `share()` skip unchanged states).
    #[wasm_bindgen(js_name = ledgerVersion)]
    pub fn ledger_version() -> f64 {
        state::with_ledger(|l| l.version() as f64)
    }

    // ---- the other realms (`ledger.share()`) ----

    /// Checks `ledger.share(options)` (`name`, `interval` read by JS; `hasChannel`: whether
    /// there is a `BroadcastChannel`); returns the interval in milliseconds.
    #[wasm_bindgen(js_name = checkShare)]
    pub fn check_share(
        options: JsValue,
        name: JsValue,
        interval: JsValue,
        has_channel: bool,
    ) -> JsResult<f64> {
        js(realms::check_share(&options, &name, &interval, has_channel))
    }

    /// This realm's totals as it publishes them, named by the layout's `realmTotals`.
    #[wasm_bindgen(js_name = realmTotals)]
    pub fn realm_totals() -> Vec<f64> {
        realms::own_totals()
    }

    /// What the realm JS numbered `key` published (`totals` named by the layout's
    /// `realmTotals`, another message promised within `heartbeat` ms); whether it was taken
    /// (a malformed message is ignored).
    #[wasm_bindgen(js_name = realmHeard)]
    pub fn realm_heard(key: u32, totals: Vec<f64>, heartbeat: f64, now: f64) -> bool {
        realms::heard(key, &totals, heartbeat, now)
    }

    /// Realm `key` said goodbye; whether it was in the view.
    #[wasm_bindgen(js_name = realmBye)]
    pub fn realm_bye(key: u32) -> bool {
        realms::bye(key)
    }

    /// Drops the realms whose heartbeat is overdue at `now` (all of them at `Infinity`); returns
    /// their keys.
    #[wasm_bindgen(js_name = realmsExpire)]
    pub fn realms_expire(now: f64) -> Vec<u32> {
        realms::expire(now)
    }

    /// The app's totals over every realm in the view, each memory counted where it was made,
    /// named by the layout's `appTotals`; a crossing of `appPages` is queued as a `budget` event.
    #[wasm_bindgen(js_name = appTotals)]
    pub fn app_totals() -> Vec<f64> {
        realms::app_totals()
    }

    /// Whether a hard budget is in force (the compile hooks rewrite modules only then).
    #[wasm_bindgen(js_name = hardBudget)]
    pub fn hard_budget() -> bool {
        state::with_ledger(|l| {
            l.budget()
                .is_some_and(|b| b.mode == crate::core::BudgetMode::Hard)
        })
    }

    /// `ledger.label(memory, label)` for ledger id `id` (-1: not ledgered).
    pub fn label(id: i32, label: JsValue) -> JsResult<()> {
        js(ledger::set_label(id, &label))
    }

    /// Checks `ledger.on(kind, listener)`'s arguments.
    #[wasm_bindgen(js_name = checkListener)]
    pub fn check_listener(kind: JsValue, listener: JsValue) -> JsResult<()> {
        if !kind.as_string().as_deref().is_some_and(events::is_kind) {
            return Err(js_error(Error::UnknownEvent(describe(&kind))));
        }
        if !listener.is_function() {
            return Err(js_error(Error::ListenerNotFunction(describe(&listener))));
        }
        Ok(())
    }

    /// Checks `ledger.watch({ interval })`; returns the interval in milliseconds.
    #[wasm_bindgen(js_name = checkInterval)]
    pub fn check_interval(interval: JsValue) -> JsResult<f64> {
        if interval.is_undefined() {
            return Ok(WATCH_MS);
        }
        match interval.as_f64() {
            Some(x) if (10.0..=2_147_483_647.0).contains(&x) => Ok(x),
            _ => Err(js_error(Error::WatchInterval(describe(&interval)))),
        }
    }

    /// Whether anyone listens (without listeners the ledger queues nothing).
    #[wasm_bindgen(js_name = setListening)]
    pub fn set_listening(on: bool) {
        state::with_ledger(|l| l.set_listening(on));
    }

    /// Takes the queued events, oldest first, as rows of numbers (see [`events::EVENT_LENGTH`]).
    #[wasm_bindgen(js_name = drainEvents)]
    pub fn drain_events() -> Vec<f64> {
        events::drain()
    }

    /// The texts of the rows `drainEvents` gave last, one after the other (their lengths are in
    /// the rows); taken.
    #[wasm_bindgen(js_name = eventTexts)]
    pub fn event_texts() -> String {
        events::drain_texts()
    }
}
