// The extension's background (Chromium: service worker; Firefox: event page). It keeps the
// settings in storage.local, registers the content script for the chosen sites with the
// settings spelled as its file list (see settings-format.js), toggles the overlay from the
// toolbar button and shows each tab's state on the button's badge.
import { CONTROL_KEY, settingsFiles } from "./settings-format.js";

const ext = globalThis.browser ?? globalThis.chrome;
const SCRIPT_ID = "wasm-memory-polyfill";
const DEFAULTS = Object.freeze({
  sites: [],
  budget: { mode: "off", totalPages: null, perMemoryPages: null, memories: null },
  overlay: true,
});

/** A match pattern the browsers take for content scripts (checked again by the browser). */
const PATTERN = /^(?:<all_urls>|(?:\*|https?|wss?|file|ftp):\/\/(?:\*|(?:\*\.)?[^/*:]+(?::(?:\*|\d+))?)?\/.*)$/;

/** The settings as stored, completed with the defaults and checked. */
function normalise(raw) {
  const s = raw && typeof raw === "object" ? raw : {};
  const sites = Array.isArray(s.sites) ? s.sites.filter((p) => typeof p === "string" && PATTERN.test(p.trim())).map((p) => p.trim()) : [];
  const b = s.budget && typeof s.budget === "object" ? s.budget : {};
  const num = (v) => (Number.isSafeInteger(v) && v >= 0 && v < 2 ** 32 ? v : null);
  const mode = b.mode === "hard" || b.mode === "soft" ? b.mode : "off";
  return {
    sites: [...new Set(sites)],
    budget: { mode, totalPages: num(b.totalPages), perMemoryPages: num(b.perMemoryPages), memories: num(b.memories) },
    overlay: s.overlay !== false,
  };
}

async function load() {
  const { settings } = await ext.storage.local.get("settings");
  return normalise(settings ?? DEFAULTS);
}

/** Whether this browser's registerContentScripts takes matchOriginAsFallback (Chromium 119+, Firefox 128+). */
let fallbackOption = true;

/** Makes the registered content script match the settings. One at a time (a chain). */
let applying = Promise.resolve();
function apply() {
  const run = applying.then(async () => {
    const settings = await load();
    const existing = await ext.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] });
    if (settings.sites.length === 0) {
      if (existing.length) await ext.scripting.unregisterContentScripts({ ids: [SCRIPT_ID] });
      return { registered: false, files: [] };
    }
    const script = {
      id: SCRIPT_ID,
      js: settingsFiles(settings),
      matches: settings.sites,
      runAt: "document_start",
      world: "MAIN",
      allFrames: true,
      persistAcrossSessions: true,
    };
    // updateContentScripts replaces the registration in one step: a page loading meanwhile gets
    // the old settings or the new ones, never none.
    const call = (s) => (existing.length ? ext.scripting.updateContentScripts([s]) : ext.scripting.registerContentScripts([s]));
    if (fallbackOption) {
      try {
        await call({ ...script, matchOriginAsFallback: true });
        return { registered: true, files: script.js };
      } catch (error) {
        if (!/matchOriginAsFallback/i.test(String(error?.message))) throw error;
        fallbackOption = false;
      }
    }
    await call(script);
    return { registered: true, files: script.js };
  });
  applying = run.catch(() => {});
  return run;
}

/** Saves `settings` and applies them; resolves once pages loaded from now on get them. */
async function save(settings) {
  const s = normalise(settings);
  await ext.storage.local.set({ settings: s });
  const result = await apply();
  return { settings: s, ...result };
}

// ------------------------------------------------------------------ each tab's state

/** Runs in every frame of the page (its own world): the content script's status, or null. */
function probe(key) {
  try {
    const control = Object.getOwnPropertyDescriptor(globalThis, Symbol.for(key))?.value;
    return control ? control.status() : null;
  } catch {
    return null;
  }
}

/** Every frame's status in a tab: [{ frameId, status }] (status null where the script didn't run). */
async function tabStatus(tabId) {
  try {
    const results = await ext.scripting.executeScript({
      target: { tabId, allFrames: true },
      world: "MAIN",
      func: probe,
      args: [CONTROL_KEY],
    });
    return results.map((r) => ({ frameId: r.frameId, status: r.result ?? null }));
  } catch {
    return []; // a page the extension may not script (the browser's own pages, the store)
  }
}

const short = (n) => (n < 1000 ? String(n) : n < 1e6 ? `${(n / 1000).toFixed(n < 1e4 ? 1 : 0)}k` : `${(n / 1e6).toFixed(1)}M`);

/** Sets the tab's badge and title from its frames' status. */
async function refresh(tabId) {
  const frames = (await tabStatus(tabId)).filter((f) => f.status);
  let text = "",
    color = "#3b5bdb",
    title = "wasm memory: not on this page (click to choose this site)";
  if (frames.length) {
    const blocked = frames.filter((f) => f.status.state !== "running");
    const running = frames.filter((f) => f.status.state === "running");
    const pages = running.reduce((a, f) => a + f.status.livePages, 0);
    const live = running.reduce((a, f) => a + f.status.live, 0);
    text = short(pages);
    title = `wasm memory: ${live} live memories, ${pages} pages in ${running.length} frame(s)`;
    const budget = running.find((f) => f.status.top)?.status.budget ?? running[0]?.status.budget;
    if (budget?.totalPages != null) title += `; ${budget.mode} budget ${budget.totalPages} pages per frame`;
    if (running.some((f) => f.status.budgetHits > 0)) color = "#c92a2a";
    if (blocked.length) {
      text = running.length ? `${text}!` : "CSP";
      color = "#c92a2a";
      const why = blocked[0].status;
      title += `\n${blocked.length} frame(s) not measured: ${why.state === "blocked" ? "the page's Content-Security-Policy forbids compiling WebAssembly ('wasm-unsafe-eval')" : why.message}`;
    }
  }
  await Promise.all([
    ext.action.setBadgeText({ tabId, text }),
    ext.action.setBadgeBackgroundColor({ tabId, color }),
    ext.action.setTitle({ tabId, title }),
  ]).catch(() => {}); // the tab may be gone
  return { text, title, frames };
}

/** The toolbar button: shows or hides the overlay in the tab's top frame; where the extension
 * doesn't run, opens the settings with the tab's site suggested. */
async function toggle(tab) {
  let state = null;
  try {
    const [r] = await ext.scripting.executeScript({
      target: { tabId: tab.id, frameIds: [0] },
      world: "MAIN",
      func: (key) => {
        try {
          const control = Object.getOwnPropertyDescriptor(globalThis, Symbol.for(key))?.value;
          return control ? control.toggleOverlay() : null;
        } catch {
          return null;
        }
      },
      args: [CONTROL_KEY],
    });
    state = r?.result ?? null;
  } catch {
    state = null;
  }
  if (state === null) {
    let site = "";
    try {
      const u = new URL(tab.url);
      if (/^(https?|file):$/.test(u.protocol)) site = u.protocol === "file:" ? "file:///*" : `${u.protocol}//${u.hostname}/*`;
    } catch {
      /* no url */
    }
    await ext.tabs.create({ url: ext.runtime.getURL(`options.html${site ? `?site=${encodeURIComponent(site)}` : ""}`) });
  }
  await refresh(tab.id);
  return state;
}

// ------------------------------------------------------------------ wiring

ext.runtime.onInstalled.addListener((details) => {
  void apply().catch((e) => console.error("wasm memory: registering the content script failed", e));
  // Nothing is measured until sites are chosen: on a first install, the settings page says so.
  if (details?.reason === "install") void ext.runtime.openOptionsPage().catch(() => {});
});
ext.runtime.onStartup.addListener(() => void apply().catch((e) => console.error("wasm memory: registering the content script failed", e)));
ext.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && "settings" in changes)
    void apply().catch((e) => console.error("wasm memory: registering the content script failed", e));
});
ext.action.onClicked.addListener((tab) => void toggle(tab));
ext.tabs.onUpdated.addListener((tabId, info) => {
  if (info.status === "complete") void refresh(tabId);
});
ext.tabs.onActivated.addListener(({ tabId }) => void refresh(tabId));
ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only the extension's own pages (the options page) talk to the background.
  if (sender.id !== ext.runtime.id || !String(sender.url ?? "").startsWith(ext.runtime.getURL(""))) return false;
  const reply = (p) => (
    p.then(
      (v) => sendResponse({ ok: true, value: v }),
      (e) => sendResponse({ ok: false, error: String(e?.message ?? e) }),
    ),
    true
  );
  switch (message?.type) {
    case "load":
      return reply(load());
    case "save":
      return reply(save(message.settings));
    case "status":
      return reply(refresh(message.tabId));
    case "registered":
      return reply(ext.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] }));
    // What the toolbar button does, for a tab named by id (the tests can't click the toolbar).
    case "toggle":
      return reply(ext.tabs.get(message.tabId).then(toggle));
    default:
      return false;
  }
});
