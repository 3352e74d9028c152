// The floor the bench measures the polyfill against: the bookkeeping any ledger that keeps
// nothing alive needs, in plain JS (benches/cases.mjs, benches/gc-page.mjs).

/**
 * What any ledger that keeps nothing alive must do per memory, and nothing more: a WeakMap
 * entry (is it ledgered, under which id), a FinalizationRegistry registration (it was
 * collected), and once its task has ended a WeakRef (its size can be read later; made in a
 * microtask, as the polyfill's nursery does, since a WeakRef holds its target to the end of
 * the task). Returns `keep(memory)`, and `count(instance)` for an instance's registration.
 */
export function keeper() {
  const ids = new WeakMap();
  const refs = new Map();
  const registry = new FinalizationRegistry((id) => refs.delete(id));
  const instances = new FinalizationRegistry(() => {});
  let next = 0;
  let nursery = [];
  const ripen = async () => {
    await undefined;
    for (let i = 0; i < nursery.length; i += 2) refs.set(nursery[i], new WeakRef(nursery[i + 1]));
    nursery = [];
  };
  const keep = (m) => {
    const id = next++;
    ids.set(m, id);
    registry.register(m, id);
    if (nursery.length === 0) ripen();
    nursery.push(id, m);
    return id;
  };
  return { keep, count: (instance, id) => instances.register(instance, id) };
}
