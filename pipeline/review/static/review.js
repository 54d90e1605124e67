// hotich review: keyboard workflow. Keys are listed in the help panel (?) of every page.
// Elements carrying data-key="x" are activated by key x (a form is submitted, a link followed,
// a button clicked); rows carrying data-item are walked with j/k (or Tab) and opened/edited
// with e/Enter.
(function () {
  "use strict";
  const body = document.body;
  const items = Array.from(document.querySelectorAll("[data-item]"));
  const help = document.getElementById("help");
  const strip = document.querySelector(".strip");
  const mark = document.getElementById("strip-mark");
  let cur = -1;

  // The current field's cell, outlined on the pinned entry (fractions from the server).
  function showMark(row) {
    if (!mark) return;
    const m = row && row.dataset.mark;
    if (!m) { mark.hidden = true; return; }
    const [l, t, w, h] = m.split(" ").map(Number);
    mark.style.left = (100 * l) + "%";
    mark.style.top = (100 * t) + "%";
    mark.style.width = (100 * w) + "%";
    mark.style.height = (100 * h) + "%";
    mark.hidden = false;
    const fig = document.getElementById("scan");
    if (fig && strip.classList.contains("zoomed")) {
      fig.scrollLeft = Math.max(0, l * strip.clientWidth - fig.clientWidth / 3);
    }
  }

  function select(i, focus) {
    if (!items.length) return;
    if (cur >= 0) items[cur].classList.remove("current");
    cur = Math.max(0, Math.min(items.length - 1, i));
    const row = items[cur];
    row.classList.add("current");
    showMark(row);
    if (focus !== false && document.activeElement !== row && row.tabIndex >= 0) {
      row.focus({preventScroll: true});
    }
    row.scrollIntoView({block: "nearest"});
  }

  // What the typed value would be stored as, from the field's own normaliser on the server.
  let timer = null;
  function preview(row) {
    const form = row.querySelector("form[data-check]");
    const input = row.querySelector("input[name=value]");
    const out = row.querySelector("output.preview");
    const over = row.querySelector("button.override");
    if (!form || !input || !out) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const typed = input.value;
      fetch(form.dataset.check + "?value=" + encodeURIComponent(typed), {credentials: "same-origin"})
        .then((r) => r.json())
        .then((d) => {
          if (input.value !== typed) return;  // typed on meanwhile
          out.hidden = false;
          out.classList.toggle("bad", !d.ok);
          if (d.ok) {
            out.textContent = (body.dataset.tStored || "stored as:") + " " +
              (d.value === null ? (body.dataset.tEmpty || "empty") : d.value);
          } else {
            out.textContent = (body.dataset.tRefused || "not valid:") + " " + d.reasons.join("; ");
          }
          if (over) over.hidden = d.ok || d.override === null;
        })
        .catch(() => { out.hidden = true; });
    }, 120);
  }

  function startEdit(row) {
    const input = row.querySelector("input[name=value]");
    if (!input) return false;
    row.classList.add("editing");
    input.hidden = false;
    input.focus();
    input.select();
    preview(row);
    return true;
  }

  function stopEdit(row) {
    const input = row.querySelector("input[name=value]");
    if (!input) return;
    input.value = input.defaultValue;
    input.hidden = true;
    row.classList.remove("editing");
    const out = row.querySelector("output.preview");
    if (out) out.hidden = true;
    const over = row.querySelector("button.override");
    if (over) over.hidden = true;
    row.focus({preventScroll: true});
  }

  function saveAnyway(row) {
    const form = row.querySelector("form.edit");
    if (!form) return;
    form.querySelector("input[name=override]").value = "1";
    form.requestSubmit();
  }

  function activate(el) {
    if (el.tagName === "FORM") el.requestSubmit();
    else if (el.tagName === "A") window.location.href = el.href;
    else el.click();
  }

  function zoomCell(row) {
    const img = row && row.querySelector("img.cell");
    if (!img) { if (strip) strip.classList.toggle("zoomed"); return; }
    if (img.classList.toggle("zoomed")) img.style.width = (2 * img.naturalWidth) + "px";
    else img.style.width = "";
  }

  // Start where the server says (the field after the one just saved, or the first flagged).
  const focusName = body.dataset.focus;
  if (items.length) {
    const k = items.findIndex((r) => r.dataset.field && r.dataset.field === focusName);
    select(k >= 0 ? k : 0, false);
    if (k >= 0 && body.dataset.edit === "1") startEdit(items[k]);
  }

  items.forEach((row, i) => {
    row.addEventListener("focus", () => { if (cur !== i) select(i, false); });
    const shown = row.querySelector(".shown");
    if (shown) shown.addEventListener("click", () => { select(i); startEdit(row); });
    const input = row.querySelector("input[name=value]");
    if (input) input.addEventListener("input", () => preview(row));
    const over = row.querySelector("button.override");
    if (over) over.addEventListener("click", () => saveAnyway(row));
    const img = row.querySelector("img.cell");
    if (img) img.addEventListener("click", () => { select(i); zoomCell(row); });
  });

  const crop = document.getElementById("crop");
  if (crop && strip) crop.addEventListener("click", () => strip.classList.toggle("zoomed"));

  document.addEventListener("keydown", (e) => {
    // An IME composing Vietnamese owns every key until it commits.
    if (e.isComposing || e.keyCode === 229) return;
    const t = e.target;
    if (t.matches("input, textarea, select")) {
      const row = t.closest("[data-item]");
      if (e.key === "Escape") {
        if (row) stopEdit(row); else t.blur();
        e.preventDefault();
      } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && row) {
        saveAnyway(row);  // an explicit override of the field's check (recorded)
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
    if (key === "z" && (strip || cur >= 0)) { zoomCell(cur >= 0 ? items[cur] : null); return; }
    if (t.matches("button, a[href]") && key === "Enter") return;  // Tab-reached controls act natively
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
