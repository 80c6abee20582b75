// The API reference page: "Copy as curl" puts an operation's curl command,
// shown beside the button, on the clipboard, and says so on the button.
(function () {
  "use strict";
  function copied(btn, ok) {
    btn.dataset.state = ok ? "copied" : "failed";
    btn.textContent = ok ? "Copied" : "Select and copy";
    setTimeout(function () {
      btn.textContent = "Copy as curl";
      delete btn.dataset.state;
    }, 3000);
  }
  // fallback copies through a selection, where the clipboard API is
  // missing or refused (a page over plain http).
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button.api-copy");
    if (!btn) return;
    var src = document.getElementById(btn.dataset.copy);
    if (!src) return;
    var text = src.textContent.trim();
    btn.dataset.text = text;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { copied(btn, true); },
        function () { copied(btn, fallback(text)); });
    } else {
      copied(btn, fallback(text));
    }
  });
})();
