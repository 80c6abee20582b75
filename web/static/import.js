// Import job page: while the import waits or runs, ask for its progress
// every second, move the bar and the counts, and reload the page once the
// import has finished, to show its outcome. Without JavaScript the page
// has a reload link.
"use strict";

(() => {
  const live = document.getElementById("import-live");
  if (!live) return;
  const bar = document.getElementById("import-progress");
  const percent = document.getElementById("import-percent");
  const status = document.getElementById("import-status");
  const title = document.getElementById("live-title");
  const fmt = (n) => Number(n || 0).toLocaleString("en-US");

  const show = (job) => {
    const p = Math.floor((job.progress || 0) * 100);
    bar.value = p;
    bar.textContent = p + "%";
    if (percent) percent.textContent = p;
    live.querySelectorAll("[data-count]").forEach((el) => {
      el.textContent = fmt(job.counts[el.dataset.count]);
    });
    if (job.status === "running") {
      if (status) status.textContent = "running";
      if (title) title.textContent = "Importing…";
    }
  };

  const poll = () => {
    fetch(live.dataset.status, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then((r) => {
        // Signed out, or the import is gone: the page itself says so.
        const json = (r.headers.get("Content-Type") || "").includes("json");
        if (r.redirected || !json || (r.status >= 400 && r.status < 500)) {
          window.location.reload();
          return null;
        }
        return r.ok ? r.json() : Promise.reject(new Error(String(r.status)));
      })
      .then((job) => {
        if (!job) return;
        show(job);
        if (job.status !== "queued" && job.status !== "running") {
          window.location.reload();
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  };
  setTimeout(poll, 1000);
})();
