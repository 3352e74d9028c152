//! The ledger: one record per live memory, running totals, budgets and an event queue.
//!
//! Plain Rust, no JS types: the bindings feed it what the engine reports (sizes are read from
//! `buffer.byteLength`, since code inside wasm grows memories without calling JS) and drain its
//! events into JS listeners. Every mutating call either succeeds completely or changes nothing,
//! so a refused construction or grow leaves the ledger exactly as it was.

use alloc::{
    string::{String, ToString},
    vec::Vec,
};

use super::error::{concat, decimal, Error};
use super::id_index::IdIndex;
use super::limits::MemoryType;

impl Record {
    /// The clamp this memory is at, if it is: it is bounded (its maximum was lowered by a hard
    /// budget), its current size is that maximum, and the maximum it asked for (declared by its
    /// module or given to the constructor) is larger or absent. Grows inside wasm get -1 from
    /// the engine from here on.
    pub fn at_clamp(&self) -> Option<u64> {
        let max = self
            .ty
            .maximum
            .filter(|_| self.bounded && self.maximum_known)?;
        let asked_more = self.requested_maximum.map_or(true, |asked| asked > max);
        (self.pages >= max && asked_more).then_some(max)
    }
}

/// What the engine was refusing when it ran out of memory ([`Ledger::failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A construction (`new WebAssembly.Memory`).
    Construct,
    /// A `grow()`.
    Grow,
    /// Making an instance of a module that defines a memory (`new WebAssembly.Instance`,
    /// `instantiate`, `instantiateStreaming`).
    Instantiate,
}

impl Operation {
    /// Every operation, in the order of [`Operation::code`].
    pub const ALL: [Operation; 3] = [
        Operation::Construct,
        Operation::Grow,
        Operation::Instantiate,
    ];

    /// Its index in [`Operation::ALL`].
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The operation whose [`Operation::code`] is `code`, if any.
    pub fn from_code(code: u8) -> Option<Operation> {
        Operation::ALL.get(usize::from(code)).copied()
    }

    /// The name the `failure` event uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Construct => "construct",
            Operation::Grow => "grow",
            Operation::Instantiate => "instantiate",
        }
    }
}

/// How many of the largest memories a [`Failure`] names.
pub const FAILURE_LARGEST: usize = 3;

/// What the ledger knows when the engine refuses a construction, a grow or an instance for want
/// of memory (not a budget's refusal): the facts an error message and a `failure` event give.
/// The words are the same whatever was refused: the engine's own message, which they follow,
/// says that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What was refused.
    pub operation: Operation,
    /// The memory a refused grow was about (`None` for a construction or an instance).
    pub id: Option<u32>,
    /// The pages asked for: the initial size of a construction, the delta of a grow, the
    /// declared initial sizes of the memories an instance's module defines (0 when unknown).
    pub pages: u64,
    /// Live memories in the ledger.
    pub live: u64,
    /// How many of them no live instance holds (that `install()`'s hooks saw): memories the
    /// program dropped are among them, waiting for the collector.
    pub without_instance: u64,
    /// Pages of all live memories.
    pub live_pages: u64,
    /// The largest live memories, largest first (ties: the older first): `(id, pages)`.
    pub largest: Vec<(u32, u64)>,
    /// What the engine's reservation model says then (`None` where it has no profile of the
    /// engine): see [`Reservation`].
    pub reservation: Option<Reservation>,
}

/// The reservation model's view when the engine refused memory (the bindings know the engine,
/// the core doesn't: they give it to [`Ledger::failure_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// Bytes of address space the live memories made in this realm reserve (`None`: one of
    /// them reserves what the model doesn't know).
    pub reserved_bytes: Option<u64>,
    /// The live memories the model counts (those made here, and the polyfill's own heap).
    pub counted: u64,
    /// How many memories like a one-page i32 one the engine was expected to grant in all
    /// (`None`: the model knows no limit of this engine for them).
    pub expected_limit: Option<u64>,
}

impl Failure {
    /// What the ledger knows, as the words an engine's error message gets after its own:
    /// `" (the ledger: 3 live memories, 24 pages in all, 2 of them held by no live instance (if
    /// unreachable, waiting for the garbage collector); the largest: \"big\" 16 pages, #1
    /// (foo.wasm) 5 pages, #2 3 pages)"`. `names` gives a memory's label and definedBy.
    pub fn describe(&self, names: &dyn Fn(u32) -> (Option<String>, Option<String>)) -> String {
        let plural = |n: u64, one: &str, many: &str| {
            concat(&[&decimal(n), " ", if n == 1 { one } else { many }])
        };
        let mut out = concat(&[
            " (the ledger: ",
            &plural(self.live, "live memory", "live memories"),
            ", ",
            &plural(self.live_pages, "page", "pages"),
            " in all",
        ]);
        if self.without_instance > 0 {
            out.push_str(", ");
            out.push_str(&decimal(self.without_instance));
            out.push_str(if self.without_instance == self.live {
                " held by no live instance"
            } else {
                " of them held by no live instance"
            });
            out.push_str(" (if unreachable, waiting for the garbage collector)");
        }
        for (i, &(id, pages)) in self.largest.iter().enumerate() {
            out.push_str(if i == 0 { "; the largest: " } else { ", " });
            let (label, defined_by) = names(id);
            match (label, defined_by) {
                (Some(label), _) => out.push_str(&concat(&["\"", &label, "\""])),
                (None, Some(by)) => {
                    out.push_str(&concat(&["#", &decimal(id.into()), " (", &by, ")"]))
                }
                (None, None) => out.push_str(&concat(&["#", &decimal(id.into())])),
            }
            out.push(' ');
            out.push_str(&plural(pages, "page", "pages"));
        }
        out.push(')');
        out
    }
}

/// How a memory came to be in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Made by our `Memory` constructor (ponyfill or installed).
    Constructed,
    /// Exported by a module instantiated while `install()` was active.
    Exported,
    /// Met but not made here: a memory passed as an import (or re-exported) that the ledger did
    /// not hold, such as a shared memory another realm made and posted to this one.
    Received,
}

impl Origin {
    /// Every origin, in the order of their codes (the snapshot's `origin` column).
    pub const ALL: [Origin; 3] = [Origin::Constructed, Origin::Exported, Origin::Received];

    /// The name the snapshot uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Origin::Constructed => "constructed",
            Origin::Exported => "exported",
            Origin::Received => "received",
        }
    }

    /// Whether the memory was made in the realm whose ledger holds it: only such records count
    /// in the app-wide totals (see [`crate::Realms`]).
    pub const fn made_here(self) -> bool {
        !matches!(self, Origin::Received)
    }

    /// Its code: its index in [`Origin::ALL`].
    pub fn code(self) -> u8 {
        match self {
            Origin::Constructed => 0,
            Origin::Exported => 1,
            Origin::Received => 2,
        }
    }
}

/// One live memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Ledger id, unique for the life of the ledger (never reused).
    pub id: u32,
    /// Optional label given at construction or later.
    pub label: Option<String>,
    /// For a memory a module defines: the module's name (its "name" section), else the URL of
    /// the Response it was streamed from, else `None`. `None` for a constructed memory.
    pub defined_by: Option<String>,
    /// How many live instances import or export it (those `install()`'s hooks saw).
    pub instances: u32,
    /// The memory type the engine was asked for (after any budget clamp of `maximum`).
    pub ty: MemoryType,
    /// The `maximum` the caller asked for, before a hard budget clamped it.
    pub requested_maximum: Option<u64>,
    /// Whether `ty.maximum` is known (false for an exported memory whose module we never saw).
    pub maximum_known: bool,
    /// Current pages, as last read from the engine.
    pub pages: u64,
    /// The most pages this memory has been seen to have.
    pub peak: u64,
    /// Grows seen (through `grow()`, or found by a size read).
    pub grows: u32,
    /// Milliseconds since the epoch when it was made.
    pub created_ms: f64,
    /// How it came to be ledgered.
    pub origin: Origin,
    /// Whether grows made inside wasm are held to the budget: its maximum was clamped by the hard
    /// budget in force when it was made (or its module compiled). False for memories made without
    /// a hard budget, and for exported memories whose module was compiled before `install()`.
    pub bounded: bool,
    /// Whether this memory alone is above `perMemoryPages` (so a crossing is reported once).
    pub over_per_memory: bool,
    /// Whether it has been found at its budget clamp ([`Record::at_clamp`]), which is reported
    /// once ([`Event::Reached`]): memories never shrink and the clamp never changes, so it stays
    /// there for the rest of its life.
    pub reached: bool,
    /// A short stack line of where it was made, when that was asked for.
    pub stack: Option<String>,
}

/// Whether a budget refuses (`Hard`) or only reports (`Soft`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetMode {
    /// Past the budget is a `RangeError`, and `maximum` is clamped so wasm can't pass it either.
    Hard,
    /// Past the budget succeeds and emits a `budget` event.
    Soft,
}

/// Limits on what all live memories may add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Pages of all live memories together.
    pub total_pages: Option<u64>,
    /// Pages of any one memory.
    pub per_memory_pages: Option<u64>,
    /// Number of live memories.
    pub memories: Option<u64>,
    /// Hard or soft.
    pub mode: BudgetMode,
}

/// Sums over the ledger; always equal to the sums over the live records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Live memories.
    pub live: u64,
    /// Pages of all live memories.
    pub live_pages: u64,
    /// The most `live_pages` has been.
    pub peak_total_pages: u64,
    /// Memories ever ledgered.
    pub created: u64,
    /// Memories that left the ledger because they were garbage-collected.
    pub collected: u64,
}

/// What made a memory grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowSource {
    /// `grow()` called from JavaScript.
    Js,
    /// Growth found by a size read: `memory.grow` inside wasm, or a resizable buffer's `resize`.
    Wasm,
}

/// The budget field an event or refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetField {
    /// `totalPages`: pages of all live memories together.
    TotalPages,
    /// `perMemoryPages`: pages of any one memory.
    PerMemoryPages,
    /// `memories`: the number of live memories.
    Memories,
    /// `appPages`: pages of every memory the sharing realms made (see [`crate::Realms`]); only
    /// ever reported, never refusing.
    AppPages,
    /// `reservedBytes`: the address space the live memories reserve, by the reservation model
    /// (see [`crate::Profile`]); checked by the bindings at each construction.
    ReservedBytes,
}

impl BudgetField {
    /// Every field, in the order of [`BudgetField::code`].
    pub const ALL: [BudgetField; 5] = [
        BudgetField::TotalPages,
        BudgetField::PerMemoryPages,
        BudgetField::Memories,
        BudgetField::AppPages,
        BudgetField::ReservedBytes,
    ];

    /// The field's index in [`BudgetField::ALL`] (how the bindings hand it to JS).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The field's name in `setBudget`'s argument.
    pub const fn as_str(self) -> &'static str {
        match self {
            BudgetField::TotalPages => "totalPages",
            BudgetField::PerMemoryPages => "perMemoryPages",
            BudgetField::Memories => "memories",
            BudgetField::AppPages => "appPages",
            BudgetField::ReservedBytes => "reservedBytes",
        }
    }
}

/// Something listeners hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A memory entered the ledger.
    Create {
        /// Its id.
        id: u32,
        /// Its pages.
        pages: u64,
    },
    /// A memory grew.
    Grow {
        /// Its id.
        id: u32,
        /// Pages before.
        from: u64,
        /// Pages after.
        to: u64,
        /// A `grow()` call, or growth found by a size read.
        source: GrowSource,
    },
    /// A memory was garbage-collected.
    Collect {
        /// Its id.
        id: u32,
        /// Pages it had.
        pages: u64,
    },
    /// A bounded memory was found at its budget clamp ([`Record::at_clamp`]): once per memory.
    Reached {
        /// Its id.
        id: u32,
        /// The budget field the clamp is (`perMemoryPages` when it equals that field's value in
        /// the budget in force, else `totalPages`).
        budget: BudgetField,
        /// The clamp: its maximum, and now its size.
        clamp: u64,
        /// The maximum it asked for (`None`: none).
        requested_maximum: Option<u64>,
    },
    /// The engine refused a construction or a grow for want of memory.
    Failure(Failure),
    /// A request passed a budget (soft), or was refused by one (hard).
    Budget {
        /// The memory, if the request was about an existing one.
        id: Option<u32>,
        /// The field passed or refusing.
        budget: BudgetField,
        /// The budget's value.
        limit: u64,
        /// What the request made (or would have made) of it.
        value: u64,
        /// Whether the request was refused.
        refused: bool,
    },
}

/// What a construction may go ahead with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatePlan {
    /// The type to hand the engine: the requested one, `maximum` clamped under a hard budget.
    pub ty: MemoryType,
    /// The `maximum` the caller asked for.
    pub requested_maximum: Option<u64>,
    /// Whether the maximum is known (see [`Record::maximum_known`]).
    pub maximum_known: bool,
    /// Whether the maximum was clamped by a hard budget (see [`Record::bounded`]).
    pub bounded: bool,
}

impl CreatePlan {
    /// A memory that exists already (exported by a module): no budget check, type as far as known.
    pub fn adopted(ty: MemoryType, maximum_known: bool) -> Self {
        CreatePlan {
            ty,
            requested_maximum: ty.maximum,
            maximum_known,
            bounded: false,
        }
    }
}

struct Breach {
    budget: BudgetField,
    limit: u64,
    value: u64,
}

/// A memory to enter in the ledger: what [`Ledger::commit_create`] and
/// [`Ledger::apply_quiet_create`] are given.
pub struct Entry {
    /// Its type, requested maximum and clamp.
    pub plan: CreatePlan,
    /// Its size now.
    pub pages: u64,
    /// Its label, if any.
    pub label: Option<String>,
    /// How it came to this realm.
    pub origin: Origin,
    /// When it was made (ms since the epoch).
    pub created_ms: f64,
    /// Where it was made, when stacks are captured.
    pub stack: Option<String>,
    /// The module that defined it, if any.
    pub defined_by: Option<String>,
    /// Live instances holding it already.
    pub instances: u32,
}

/// A memory's new size, found by reading alone (see [`Ledger::plan_quiet_resize`]).
#[derive(Clone, Copy)]
pub struct Resize {
    slot: usize,
    pages: u64,
    added: u64,
}

/// The ledger of one realm.
#[derive(Default)]
pub struct Ledger {
    records: Vec<Record>,
    index: IdIndex,
    next_id: u32,
    totals: Totals,
    budget: Option<Budget>,
    events: Vec<Event>,
    listening: bool,
    /// Whether `totalPages` / `memories` were passed at the last look, so each crossing of a
    /// budget is reported once, not on every size read while above it.
    over_total: bool,
    over_count: bool,
    /// A soft request just reported passing `perMemoryPages`: recording its result must not
    /// report it again.
    per_memory_reported: bool,
    /// Bumped by every change a snapshot would show (lets a publisher skip unchanged states).
    version: u64,
}

impl Ledger {
    /// An empty ledger with no budget.
    pub fn new() -> Self {
        Self::default()
    }

    /// The live records, in no particular order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// One record.
    pub fn get(&self, id: u32) -> Option<&Record> {
        self.records.get(self.index.get(id)?)
    }

    /// A memory's record, to change. (`get`, not `[]`: no index panic in the wasm, and none possible.)
    fn record_mut(&mut self, id: u32) -> Option<&mut Record> {
        self.records.get_mut(self.index.get(id)?)
    }

    /// The running totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// The budget in force.
    pub fn budget(&self) -> Option<Budget> {
        self.budget
    }

    /// A number that changes whenever a record is added, resized, relabelled or removed.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// `(memories, pages)` of the live records with [`Origin::Received`]: held here, made elsewhere.
    pub fn received(&self) -> (u64, u64) {
        self.records
            .iter()
            .filter(|r| !r.origin.made_here())
            .fold((0, 0), |(n, p), r| (n + 1, p + r.pages))
    }

    /// Queues an event decided outside the ledger (the app-wide budget of [`crate::Realms`]).
    pub fn report(&mut self, e: Event) {
        self.emit(e);
    }

    /// Replaces the budget (`None` removes it). Existing memories keep their clamped maximum.
    /// A budget the live memories already pass is accepted and reported (`budget` events), never
    /// refused.
    pub fn set_budget(&mut self, budget: Option<Budget>) {
        self.budget = budget;
        self.over_total = false;
        self.over_count = false;
        for r in &mut self.records {
            r.over_per_memory = false;
        }
        let ids: Vec<u32> = self.records.iter().map(|r| r.id).collect();
        for id in ids {
            self.report_crossings(Some(id));
        }
        self.report_crossings(None);
    }

    /// Whether anyone listens: without listeners no event is queued (nothing to allocate on the
    /// constructor's and grow's paths).
    pub fn set_listening(&mut self, on: bool) {
        self.listening = on;
        if !on {
            self.events.clear();
        }
    }

    fn emit(&mut self, e: Event) {
        if self.listening {
            self.events.push(e);
        }
    }

    /// Takes the events queued since the last call.
    pub fn drain_events(&mut self) -> Vec<Event> {
        core::mem::take(&mut self.events)
    }

    /// Checks a construction against the budget without changing anything.
    ///
    /// Under a hard budget, `maximum` is clamped to the pages the budget leaves this memory, so
    /// that `memory.grow` run inside wasm (which calls no JS) is refused by the engine itself.
    pub fn plan_create(&mut self, ty: MemoryType) -> Result<CreatePlan, Error> {
        let plan = CreatePlan::adopted(ty, true);
        let Some(budget) = self.budget else {
            return Ok(plan);
        };
        let mut breaches = Vec::new();
        if let Some(limit) = budget.memories {
            if self.totals.live + 1 > limit {
                breaches.push(Breach {
                    budget: BudgetField::Memories,
                    limit,
                    value: self.totals.live + 1,
                });
            }
        }
        breaches.extend(self.page_breaches(budget, ty));
        self.settle(budget, None, "construction", breaches)?;
        if budget.mode == BudgetMode::Soft {
            return Ok(plan);
        }
        // The breach checks above guarantee cap >= minimum.
        let cap = self.hard_cap(budget, ty);
        let clamped = if ty.maximum.is_some() || cap < ty.address.page_limit() {
            Some(cap)
        } else {
            None
        };
        Ok(CreatePlan {
            ty: MemoryType {
                maximum: clamped,
                ..ty
            },
            requested_maximum: ty.maximum,
            maximum_known: true,
            bounded: true,
        })
    }

    /// What a new memory of type `ty` would pass: `perMemoryPages` with its minimum, and
    /// `totalPages` with the live pages plus its minimum.
    fn page_breaches(&self, budget: Budget, ty: MemoryType) -> Vec<Breach> {
        let mut breaches = Vec::new();
        if let Some(limit) = budget.per_memory_pages.filter(|&l| ty.minimum > l) {
            breaches.push(Breach {
                budget: BudgetField::PerMemoryPages,
                limit,
                value: ty.minimum,
            });
        }
        if let Some(limit) = budget.total_pages {
            let value = self.totals.live_pages.saturating_add(ty.minimum);
            if value > limit {
                breaches.push(Breach {
                    budget: BudgetField::TotalPages,
                    limit,
                    value,
                });
            }
        }
        breaches
    }

    /// The maximum a hard budget leaves a new memory: `min(its maximum or the address type's
    /// limit, perMemoryPages, totalPages - live pages)`.
    fn hard_cap(&self, budget: Budget, ty: MemoryType) -> u64 {
        let mut cap = ty.maximum.unwrap_or(ty.address.page_limit());
        if let Some(limit) = budget.per_memory_pages {
            cap = cap.min(limit);
        }
        if let Some(limit) = budget.total_pages {
            cap = cap.min(limit.saturating_sub(self.totals.live_pages));
        }
        cap
    }

    /// The maximum a hard budget gives a memory of type `ty` made now (a module's defined memory,
    /// whose declared maximum the compile hooks lower to it), with the refusal a construction
    /// would get when the budget leaves less than its minimum. `None` without a hard budget.
    /// Changes nothing but the event queue (a refusal is reported).
    pub fn clamp_for(&mut self, ty: MemoryType, what: &str) -> Result<Option<u64>, Error> {
        let Some(budget) = self.budget.filter(|b| b.mode == BudgetMode::Hard) else {
            return Ok(None);
        };
        let breaches = self.page_breaches(budget, ty);
        self.settle(budget, None, what, breaches)?;
        let cap = self.hard_cap(budget, ty);
        Ok(Some(cap.max(ty.minimum)))
    }

    /// The next [`Ledger::commit_create`] gives `id` (or a larger one, if ids up to `id` were
    /// given already). The bindings' caller hands out the ids itself, so that it can start
    /// tracking a memory under its id before the ledger records it (see `src/js/tracking.js`).
    pub fn next_id_at_least(&mut self, id: u32) {
        self.next_id = self.next_id.max(id);
    }

    /// What [`clamp_for`](Self::clamp_for) would give a memory of type `ty` made now, without
    /// reporting anything: the compile hooks ask first, and have the refusal reported (by
    /// `clamp_for`) only once the engine has accepted the module, so a module the engine rejects
    /// gets the engine's error and leaves no `budget` event.
    pub fn peek_clamp(&self, ty: MemoryType) -> Clamp {
        let Some(budget) = self.budget.filter(|b| b.mode == BudgetMode::Hard) else {
            return Clamp::Unbudgeted;
        };
        if !self.page_breaches(budget, ty).is_empty() {
            return Clamp::Refused;
        }
        Clamp::To(self.hard_cap(budget, ty).max(ty.minimum))
    }

    /// Enters a memory the engine has made. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn commit_create(
        &mut self,
        plan: CreatePlan,
        pages: u64,
        label: Option<String>,
        origin: Origin,
        created_ms: f64,
        stack: Option<String>,
        defined_by: Option<String>,
    ) -> u32 {
        let id = self.next_id;
        let entry = Entry {
            plan,
            pages,
            label,
            origin,
            created_ms,
            stack,
            defined_by,
            instances: 0,
        };
        self.enter(id, entry);
        self.emit(Event::Create { id, pages });
        self.report_crossings(Some(id));
        self.report_reached(id);
        id
    }

    /// The part of [`commit_create`](Self::commit_create) that changes the records and the
    /// totals. Inlined: [`apply_quiet_create`](Self::apply_quiet_create) relies on it making no
    /// call when the record list and the index have room.
    #[inline(always)]
    fn enter(&mut self, id: u32, e: Entry) {
        self.next_id = id.wrapping_add(1);
        // Ids only increase (wrapping after 2^32 memories, which the index then refuses).
        self.index.push(id, self.records.len());
        self.records.push(Record {
            id,
            label: e.label,
            defined_by: e.defined_by,
            instances: e.instances,
            ty: e.plan.ty,
            requested_maximum: e.plan.requested_maximum,
            maximum_known: e.plan.maximum_known,
            pages: e.pages,
            peak: e.pages,
            grows: 0,
            created_ms: e.created_ms,
            origin: e.origin,
            stack: e.stack,
            bounded: e.plan.bounded,
            over_per_memory: false,
            reached: false,
        });
        self.version += 1;
        self.totals.live += 1;
        self.totals.created += 1;
        self.add_pages(e.pages);
    }

    /// Checks `grow(delta)` of memory `id` (now `current` pages) against the budget.
    pub fn plan_grow(&mut self, id: u32, current: u64, delta: u64) -> Result<(), Error> {
        let Some(budget) = self.budget else {
            return Ok(());
        };
        // Bring the record up to date first: wasm may have grown it since we last looked.
        self.observe(id, current);
        let wanted = current.saturating_add(delta);
        let mut breaches = Vec::new();
        if let Some(limit) = budget.per_memory_pages {
            if wanted > limit {
                breaches.push(Breach {
                    budget: BudgetField::PerMemoryPages,
                    limit,
                    value: wanted,
                });
            }
        }
        if let Some(limit) = budget.total_pages {
            let value = self.totals.live_pages.saturating_add(delta);
            if value > limit && delta > 0 {
                breaches.push(Breach {
                    budget: BudgetField::TotalPages,
                    limit,
                    value,
                });
            }
        }
        self.settle(
            budget,
            Some(id),
            &concat(&["grow(", &decimal(delta), ")"]),
            breaches,
        )
    }

    /// Records a size read from the engine; a larger size than last seen counts as a grow.
    pub fn observe(&mut self, id: u32, pages: u64) {
        self.resize(id, pages, GrowSource::Wasm);
    }

    /// Records a successful `grow()` through JS, which counts even when `delta` was 0.
    pub fn commit_grow(&mut self, id: u32, pages: u64) {
        self.resize(id, pages, GrowSource::Js);
    }

    // ---- Quiet commits: changes found, by reading alone, to touch a few numbers and nothing else.
    //
    // The bindings take no stack room before these (room costs time on every construction and
    // grow; see the bindings' `state`). Each is a plan that only reads (it may call functions,
    // so a stack overflow may cut it short: nothing has changed yet) and an apply that writes a
    // few fields with no call between its first write and its last, so nothing can cut it short
    // half done. A change that may queue an event, meet a budget or a clamp, or allocate is not
    // quiet: the caller takes the full path, with room.

    /// Whether a change now could do more than set numbers: queue an event or meet a budget.
    fn loud(&self) -> bool {
        self.listening || self.budget.is_some()
    }

    /// A resize of memory `id` to `pages` (by `grow()` through JS, or observed) that is quiet:
    /// nobody listens, no budget is in force, the memory is not bounded (so it can't reach a
    /// clamp) and it doesn't shrink.
    pub fn plan_quiet_resize(&self, id: u32, pages: u64) -> Option<Resize> {
        if self.loud() {
            return None;
        }
        let slot = self.index.get(id)?;
        let r = self.records.get(slot)?;
        if r.bounded || pages < r.pages {
            return None;
        }
        Some(Resize {
            slot,
            pages,
            added: pages - r.pages,
        })
    }

    /// Applies a [`plan_quiet_resize`](Self::plan_quiet_resize): as [`commit_grow`](Self::commit_grow)
    /// would, with no call made.
    #[inline(always)]
    pub fn apply_quiet_resize(&mut self, r: Resize) {
        self.set_size(r);
    }

    /// A memory entered now, under an id at least `at_least`, that is quiet: nobody listens, no
    /// budget is in force, it is not `bounded`, and the record list and the index have room
    /// without allocating. Returns the id it gets.
    pub fn plan_quiet_create(&self, at_least: u32, bounded: bool) -> Option<u32> {
        if self.loud() || bounded || self.records.len() == self.records.capacity() {
            return None;
        }
        let id = self.next_id.max(at_least);
        self.index.has_room_for(id).then_some(id)
    }

    /// Applies a [`plan_quiet_create`](Self::plan_quiet_create) (`id` is what it returned): as
    /// [`commit_create`](Self::commit_create) would, with `instances` counted from the start
    /// and no call made (`entry`'s texts were allocated by the caller).
    #[inline(always)]
    pub fn apply_quiet_create(&mut self, id: u32, entry: Entry) {
        self.enter(id, entry);
    }

    /// An instance count of memory `id` to change ([`count_instance`](Self::count_instance) of
    /// one id): always quiet for a memory the ledger holds. Returns where its record is.
    pub fn plan_quiet_count(&self, id: u32) -> Option<usize> {
        self.index.get(id)
    }

    /// Applies a [`plan_quiet_count`](Self::plan_quiet_count), with no call made.
    #[inline(always)]
    pub fn apply_quiet_count(&mut self, slot: usize, made: bool) {
        self.count_at(slot, made);
    }

    /// Sets a memory's label.
    pub fn set_label(&mut self, id: u32, label: Option<String>) -> bool {
        let Some(record) = self.record_mut(id) else {
            return false;
        };
        record.label = label;
        self.version += 1;
        true
    }

    /// An instance that imports or exports the memories `ids` was made (`made`), or collected.
    /// Unknown ids (memories collected first) are ignored; a count never goes below zero.
    pub fn count_instance(&mut self, ids: &[u32], made: bool) {
        for &id in ids {
            if let Some(slot) = self.index.get(id) {
                self.count_at(slot, made);
            }
        }
    }

    /// Counts an instance more (`made`) or fewer for the record at `slot`. Inlined:
    /// [`apply_quiet_count`](Self::apply_quiet_count) relies on it making no call.
    #[inline(always)]
    fn count_at(&mut self, slot: usize, made: bool) {
        if let Some(record) = self.records.get_mut(slot) {
            let n = &mut record.instances;
            *n = if made {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            };
            self.version += 1;
        }
    }

    /// Removes a memory that was garbage-collected. Unknown ids are ignored.
    pub fn collect(&mut self, id: u32) {
        // In range always; checked so that the wasm carries no `swap_remove` panic.
        let Some(i) = self.index.remove(id).filter(|&i| i < self.records.len()) else {
            return;
        };
        let record = self.records.swap_remove(i);
        if let Some(moved) = self.records.get(i) {
            self.index.set(moved.id, i);
        }
        self.version += 1;
        self.totals.live -= 1;
        self.totals.live_pages -= record.pages;
        self.totals.collected += 1;
        self.emit(Event::Collect {
            id,
            pages: record.pages,
        });
        // Back under a budget: a later crossing is reported again.
        self.report_crossings(None);
    }

    fn resize(&mut self, id: u32, pages: u64, source: GrowSource) {
        let Some(slot) = self.index.get(id) else {
            return;
        };
        let Some(from) = self.records.get(slot).map(|r| r.pages) else {
            return;
        };
        if pages == from && source == GrowSource::Wasm {
            return;
        }
        // Memories never shrink, so pages >= from.
        let added = pages.saturating_sub(from);
        self.set_size(Resize { slot, pages, added });
        self.emit(Event::Grow {
            id,
            from,
            to: pages,
            source,
        });
        self.report_crossings(Some(id));
        self.report_reached(id);
    }

    /// The part of a resize that changes the record and the totals. Inlined:
    /// [`apply_quiet_resize`](Self::apply_quiet_resize) relies on it making no call.
    #[inline(always)]
    fn set_size(&mut self, r: Resize) {
        if let Some(record) = self.records.get_mut(r.slot) {
            record.pages = r.pages;
            record.peak = record.peak.max(r.pages);
            record.grows = record.grows.wrapping_add(1);
        }
        self.version += 1;
        self.add_pages(r.added);
    }

    /// Reports memory `id` found at its clamp, the first time it is ([`Event::Reached`]). It is
    /// marked as found whether or not anyone listens (like every event, it is heard by the
    /// listeners there are when it happens), so it is never reported twice.
    fn report_reached(&mut self, id: u32) {
        let budget = self.budget;
        let Some(r) = self.record_mut(id) else {
            return;
        };
        let Some(clamp) = r.at_clamp().filter(|_| !r.reached) else {
            return;
        };
        r.reached = true;
        let requested_maximum = r.requested_maximum;
        let field = if budget.and_then(|b| b.per_memory_pages) == Some(clamp) {
            BudgetField::PerMemoryPages
        } else {
            BudgetField::TotalPages
        };
        self.emit(Event::Reached {
            id,
            budget: field,
            clamp,
            requested_maximum,
        });
    }

    /// What the ledger knows when the engine refuses `operation` (of `pages` pages, on memory
    /// `id` for a grow) for want of memory, queued as an [`Event::Failure`] and returned (for
    /// the error's message). Changes nothing else.
    pub fn failure(&mut self, operation: Operation, id: Option<u32>, pages: u64) -> Failure {
        self.failure_with(operation, id, pages, None)
    }

    /// [`failure`](Self::failure), with what the reservation model says then.
    pub fn failure_with(
        &mut self,
        operation: Operation,
        id: Option<u32>,
        pages: u64,
        reservation: Option<Reservation>,
    ) -> Failure {
        let mut largest: Vec<(u32, u64)> = Vec::with_capacity(FAILURE_LARGEST + 1);
        let mut without_instance = 0;
        for r in &self.records {
            if r.instances == 0 {
                without_instance += 1;
            }
            // Insert in order (largest first, the older first among equals), keeping the top few.
            let at = largest
                .iter()
                .position(|&(other, p)| r.pages > p || (r.pages == p && r.id < other))
                .unwrap_or(largest.len());
            if at < FAILURE_LARGEST {
                largest.insert(at, (r.id, r.pages));
                largest.truncate(FAILURE_LARGEST);
            }
        }
        let failure = Failure {
            operation,
            id,
            pages,
            live: self.totals.live,
            without_instance,
            live_pages: self.totals.live_pages,
            largest,
            reservation,
        };
        self.emit(Event::Failure(failure.clone()));
        failure
    }

    /// [`Failure::describe`] with this ledger's labels and definedBy.
    pub fn describe_failure(&self, failure: &Failure) -> String {
        failure.describe(&|id| {
            self.get(id)
                .map_or((None, None), |r| (r.label.clone(), r.defined_by.clone()))
        })
    }

    /// Reports (never refuses) each budget field that the ledger passes now and did not at the
    /// last look: once per crossing. `id` is the memory whose change is being recorded; its own
    /// `perMemoryPages` state is checked too. Falling back under a field re-arms it.
    fn report_crossings(&mut self, id: Option<u32>) {
        let Some(budget) = self.budget else {
            return;
        };
        let mut crossed = Vec::new();
        if let Some(r) = id.and_then(|id| self.records.get_mut(self.index.get(id)?)) {
            let over = budget.per_memory_pages.is_some_and(|l| r.pages > l);
            if over && !r.over_per_memory && !core::mem::take(&mut self.per_memory_reported) {
                crossed.push((
                    BudgetField::PerMemoryPages,
                    budget.per_memory_pages,
                    r.pages,
                ));
            }
            r.over_per_memory = over;
        }
        let over = budget
            .total_pages
            .is_some_and(|l| self.totals.live_pages > l);
        if over && !self.over_total {
            crossed.push((
                BudgetField::TotalPages,
                budget.total_pages,
                self.totals.live_pages,
            ));
        }
        self.over_total = over;
        let over = budget.memories.is_some_and(|l| self.totals.live > l);
        if over && !self.over_count {
            crossed.push((BudgetField::Memories, budget.memories, self.totals.live));
        }
        self.over_count = over;
        for (field, limit, value) in crossed {
            self.emit(Event::Budget {
                id,
                budget: field,
                limit: limit.unwrap_or(0),
                value,
                refused: false,
            });
        }
    }

    #[inline(always)]
    fn add_pages(&mut self, pages: u64) {
        self.totals.live_pages += pages;
        self.totals.peak_total_pages = self.totals.peak_total_pages.max(self.totals.live_pages);
    }

    fn settle(
        &mut self,
        budget: Budget,
        id: Option<u32>,
        what: &str,
        breaches: Vec<Breach>,
    ) -> Result<(), Error> {
        let refused = budget.mode == BudgetMode::Hard;
        let first = breaches.first().map(|b| Error::OverBudget {
            what: what.to_string(),
            budget: b.budget.as_str(),
            limit: b.limit,
            detail: concat(&["it would make it ", &decimal(b.value)]),
        });
        for b in breaches {
            // A request that passes a soft budget is reported here; mark the field as passed so
            // recording the result does not report the same crossing again.
            if !refused {
                match b.budget {
                    BudgetField::TotalPages => self.over_total = true,
                    BudgetField::Memories => self.over_count = true,
                    BudgetField::PerMemoryPages => self.per_memory_reported = true,
                    // never a request's breach here: see `Realms`, and the bindings' check
                    BudgetField::AppPages | BudgetField::ReservedBytes => {}
                }
            }
            self.emit(Event::Budget {
                id,
                budget: b.budget,
                limit: b.limit,
                value: b.value,
                refused,
            });
        }
        match first {
            Some(e) if refused => Err(e),
            _ => Ok(()),
        }
    }
}

/// What a hard budget gives a memory a module defines ([`Ledger::peek_clamp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clamp {
    /// No hard budget: the memory stays as declared.
    Unbudgeted,
    /// Its maximum is lowered to (at most) this many pages.
    To(u64),
    /// The budget leaves less than its minimum: compiling is refused.
    Refused,
}

/// A budget count (`totalPages`, `appPages`, ...): a whole number from 0 to 2^53 - 1, or none.
pub fn parse_count(
    field: BudgetField,
    v: Option<f64>,
    text: &dyn Fn(f64) -> String,
) -> Result<Option<u64>, Error> {
    match v {
        None => Ok(None),
        Some(x) if whole(x) => Ok(Some(x as u64)),
        Some(x) => Err(Error::BudgetOutOfRange(field.as_str(), text(x))),
    }
}

/// Whether `x` is a whole number from 0 to 2^53 - 1 (exactly representable as a count).
pub fn whole(x: f64) -> bool {
    // In range first (NaN and infinities fail it), so the cast is exact when x is whole.
    (0.0..=9_007_199_254_740_991.0).contains(&x) && x as u64 as f64 == x
}

/// Builds a budget from its JS fields, refusing nonsense with an error that names the field.
/// `text` prints a refused number (the bindings ask JavaScript; see `enforce_range_u32`).
pub fn parse_budget(
    total_pages: Option<f64>,
    per_memory_pages: Option<f64>,
    memories: Option<f64>,
    mode: Option<&str>,
    text: &dyn Fn(f64) -> String,
) -> Result<Budget, Error> {
    let count = |field: BudgetField, v: Option<f64>| parse_count(field, v, text);
    let mode = match mode {
        None | Some("hard") => BudgetMode::Hard,
        Some("soft") => BudgetMode::Soft,
        Some(other) => return Err(Error::BudgetMode(concat(&["\"", other, "\""]))),
    };
    Ok(Budget {
        total_pages: count(BudgetField::TotalPages, total_pages)?,
        per_memory_pages: count(BudgetField::PerMemoryPages, per_memory_pages)?,
        memories: count(BudgetField::Memories, memories)?,
        mode,
    })
}
