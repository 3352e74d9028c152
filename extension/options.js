// The settings page: reads and saves through the background, which registers the content
// script with them (a save resolves once pages loaded from then on get the new settings).
const ext = globalThis.browser ?? globalThis.chrome;
const $ = (id) => document.getElementById(id);

async function ask(message) {
  const r = await ext.runtime.sendMessage(message);
  if (!r?.ok) throw new Error(r?.error ?? "no answer from the background");
  return r.value;
}

function show(settings) {
  $("sites").value = settings.sites.join("\n");
  $("mode").value = settings.budget.mode;
  for (const key of ["totalPages", "perMemoryPages", "memories"]) $(key).value = settings.budget[key] ?? "";
  $("overlay").checked = settings.overlay;
}

function read() {
  const num = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));
  return {
    sites: $("sites")
      .value.split("\n")
      .map((s) => s.trim())
      .filter(Boolean),
    budget: { mode: $("mode").value, totalPages: num("totalPages"), perMemoryPages: num("perMemoryPages"), memories: num("memories") },
    overlay: $("overlay").checked,
  };
}

const result = (text, error = false) => {
  $("result").textContent = text;
  $("result").className = error ? "error" : "";
};

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const wanted = read();
  try {
    const { settings, registered } = await ask({ type: "save", settings: wanted });
    show(settings);
    const dropped = wanted.sites.filter((s) => !settings.sites.includes(s));
    result(
      (registered ? `Saved: on for ${settings.sites.length} site pattern(s), for pages loaded from now on.` : "Saved: on for no site.") +
        (dropped.length ? ` Not a match pattern, dropped: ${dropped.join(", ")}` : ""),
      dropped.length > 0,
    );
  } catch (error) {
    result(`Not saved: ${error.message}`, true);
  }
});

const site = new URLSearchParams(location.search).get("site");
ask({ type: "load" }).then(
  (settings) => {
    show(settings);
    if (site && !settings.sites.includes(site)) {
      $("suggest").hidden = false;
      $("add-site").textContent = `Add ${site}`;
      $("add-site").addEventListener("click", () => {
        $("sites").value = [...read().sites, site].join("\n");
        $("suggest").hidden = true;
      });
    }
  },
  (error) => result(`Could not load the settings: ${error.message}`, true),
);
