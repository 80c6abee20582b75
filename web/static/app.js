// Roster's own JavaScript: progressive enhancement only. Every page works
// without it.
"use strict";

document.addEventListener("submit", (e) => {
  // Avoid double submissions of slow forms.
  const btn = e.target.querySelector("button[type=submit]");
  if (btn) setTimeout(() => { btn.disabled = true; }, 0);
});

// Shift-click on a column's sort link adds it as a further sort key.
document.addEventListener("click", (e) => {
  const a = e.target.closest("a.sort");
  if (a && e.shiftKey && a.dataset.addSort) {
    e.preventDefault();
    window.location.href = a.dataset.addSort;
  }
});

// Escape closes an open panel (filters, columns, account menu).
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  document.querySelectorAll("details[open]").forEach((d) => {
    d.open = false;
    const s = d.querySelector("summary");
    if (s) s.focus();
  });
});

// "/" focuses the search box, as in most tools that have one.
document.addEventListener("keydown", (e) => {
  if (e.key !== "/" || e.target.closest("input, textarea, select")) return;
  const q = document.getElementById("q");
  if (q) { e.preventDefault(); q.focus(); q.select(); }
});

// A profile picture that cannot be loaded gives way to the initials.
document.addEventListener("error", (e) => {
  const img = e.target;
  if (!(img instanceof HTMLImageElement) || !img.classList.contains("avatar")) return;
  const span = document.createElement("span");
  span.className = "avatar initials";
  span.setAttribute("aria-hidden", "true");
  span.textContent = img.dataset.initials || "";
  img.replaceWith(span);
}, true);
