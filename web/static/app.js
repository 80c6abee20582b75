// Roster's own JavaScript: progressive enhancement only. Every page works
// without it.
"use strict";
document.addEventListener("submit", (e) => {
  // Avoid double submissions of slow forms.
  const btn = e.target.querySelector("button[type=submit]");
  if (btn) setTimeout(() => { btn.disabled = true; }, 0);
});
