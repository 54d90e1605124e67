// hotich review: keyboard workflow. Keys are listed in the help panel (?) of every page.
// Elements carrying data-key="x" are activated by key x (a form is submitted, a link followed,
// a button clicked); rows carrying data-item are walked with j/k and opened/edited with e/Enter.
(function () {
  "use strict";
  const body = document.body;
  const items = Array.from(document.querySelectorAll("[data-item]"));
  const help = document.getElementById("help");
  let cur = -1;

  function select(i) {
    if (!items.length) return;
    if (cur >= 0) items[cur].classList.remove("current");
    cur = Math.max(0, Math.min(items.length - 1, i));
    items[cur].classList.add("current");
    items[cur].scrollIntoView({block: "nearest"});
  }

  function startEdit(row) {
    const input = row.querySelector("input[name=value]");
    if (!input) return false;
    row.classList.add("editing");
    input.hidden = false;
    input.focus();
    input.select();
    return true;
  }

  function stopEdit(row) {
    const input = row.querySelector("input[name=value]");
    if (!input) return;
    input.value = input.defaultValue;
    input.hidden = true;
    row.classList.remove("editing");
    input.blur();
  }

  function activate(el) {
    if (el.tagName === "FORM") el.requestSubmit();
    else if (el.tagName === "A") window.location.href = el.href;
    else el.click();
  }

  // Start where the server says (the field after the one just saved, or the first flagged).
  const focusName = body.dataset.focus;
  if (items.length) {
    const k = items.findIndex((r) => r.dataset.field && r.dataset.field === focusName);
    select(k >= 0 ? k : 0);
    if (k >= 0 && body.dataset.edit === "1") startEdit(items[k]);
  }

  items.forEach((row, i) => {
    const shown = row.querySelector(".shown");
    if (shown) shown.addEventListener("click", () => { select(i); startEdit(row); });
  });

  const crop = document.getElementById("crop");
  if (crop) crop.addEventListener("click", () => crop.classList.toggle("zoomed"));

  document.addEventListener("keydown", (e) => {
    // An IME composing Vietnamese owns every key until it commits.
    if (e.isComposing || e.keyCode === 229) return;
    const t = e.target;
    if (t.matches("input, textarea, select")) {
      if (e.key === "Escape") {
        const row = t.closest("[data-item]");
        if (row) stopEdit(row); else t.blur();
        e.preventDefault();
      }
      return; // Enter in a field input submits its form natively
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    let key = e.key;
    if (key === "ArrowDown") key = "j";
    if (key === "ArrowUp") key = "k";
    if (key === "Escape") { if (help) help.hidden = true; return; }
    if (key === "?") { if (help) help.hidden = !help.hidden; e.preventDefault(); return; }
    if (key === "/") {
      const box = document.getElementById("search-box");
      if (box) { box.focus(); box.select(); e.preventDefault(); }
      return;
    }
    if (key === "j" || key === "k") { select(cur + (key === "j" ? 1 : -1)); e.preventDefault(); return; }
    if (key === "z" && crop) { crop.classList.toggle("zoomed"); return; }
    if ((key === "e" || key === "Enter") && cur >= 0) {
      const row = items[cur];
      if (startEdit(row)) { e.preventDefault(); return; }
      const link = row.querySelector("a[href]");
      if (link) { window.location.href = link.href; e.preventDefault(); return; }
    }
    const target = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (target) { e.preventDefault(); activate(target); }
  });
})();
