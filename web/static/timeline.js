// The profile's timeline scrolls on without end: when the "Older activity"
// link comes into view, the next page is fetched and its items appended
// (a day already shown is not headed again). Without JavaScript the link
// opens the next page.
(function () {
  "use strict";
  function load(link) {
    if (link.dataset.loading) { return; }
    link.dataset.loading = "1";
    fetch(link.href, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) { throw new Error(resp.status); }
      return resp.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var list = document.querySelector("[data-timeline]");
      var items = doc.querySelectorAll("[data-timeline] > li");
      var days = list.querySelectorAll(".timeline-day");
      var lastDay = days.length ? days[days.length - 1].dataset.day : "";
      items.forEach(function (li) {
        if (li.classList.contains("timeline-day") && li.dataset.day === lastDay) { return; }
        list.appendChild(document.importNode(li, true));
      });
      var next = doc.querySelector("[data-timeline-more]");
      if (next) {
        link.href = next.getAttribute("href");
        delete link.dataset.loading;
        watch(link);
      } else {
        link.parentNode.remove();
      }
    }).catch(function () { delete link.dataset.loading; });
  }
  function watch(link) {
    if (!("IntersectionObserver" in window)) { return; }
    var io = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        io.disconnect();
        load(link);
      }
    });
    io.observe(link);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var link = document.querySelector("[data-timeline-more]");
    if (link) { watch(link); }
  });
})();
