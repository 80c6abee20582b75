// Tags: chips that change in place. Every control here is a form that
// works without JavaScript; this file sends them with fetch instead, asks
// for JSON and swaps in the chips the server renders.
"use strict";

(() => {
  // Tags of a colour outside the palette have no CSS class: paint them,
  // with dark or light text, whichever reads better.
  const paint = (root) => {
    root.querySelectorAll(".c-other[data-color]").forEach((el) => {
      const c = el.dataset.color;
      if (!/^#[0-9a-f]{6}$/i.test(c)) return;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
      el.style.backgroundColor = c;
      el.style.color = (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#1d1d1f" : "#fff";
    });
  };
  paint(document);

  const panel = document.getElementById("tag-panel");
  const home = document.querySelector(".tag-panel-home");
  const cellOf = (el) => el && el.closest("td.tags, .tags-cell");

  // The table has one panel; it opens in the cell whose "+ Add a tag" was
  // clicked, its forms posting for that row's user.
  const closePanel = () => {
    if (!panel || !home) return;
    const cell = cellOf(panel);
    if (cell) cell.classList.remove("panel-open");
    home.appendChild(panel);
    home.hidden = true;
  };
  const openPanel = (link) => {
    const cell = cellOf(link);
    const action = "/users/" + encodeURIComponent(link.dataset.user) + "/tags";
    panel.dataset.action = action;
    panel.querySelectorAll("form").forEach((f) => { f.action = action; });
    panel.querySelector(".tag-error").hidden = true;
    const create = panel.querySelector(".tag-create");
    if (create) create.open = false;
    cell.appendChild(panel);
    home.hidden = false; // the panel left it; only the cell shows it
    cell.classList.add("panel-open");
    place();
    const filter = panel.querySelector(".tag-filter");
    filter.value = "";
    filterTags(filter);
    filter.focus();
  };

  // The table scrolls sideways in a box that would clip the panel, so the
  // panel is fixed on the page, under the cell's "+ Add a tag".
  const place = () => {
    const cell = panel && cellOf(panel);
    if (!cell || !home) return;
    const r = cell.getBoundingClientRect();
    panel.style.position = "fixed";
    panel.style.top = Math.round(r.bottom) + "px";
    panel.style.left = Math.round(Math.max(8, Math.min(r.left, window.innerWidth - panel.offsetWidth - 8))) + "px";
  };
  window.addEventListener("scroll", place, true);
  window.addEventListener("resize", place);

  const filterTags = (input) => {
    const q = input.value.trim().toLowerCase();
    input.closest(".tag-panel").querySelectorAll(".tag-options li").forEach((li) => {
      const b = li.querySelector("button");
      if (b) li.hidden = q !== "" && !b.dataset.name.toLowerCase().includes(q);
    });
  };

  document.addEventListener("click", (e) => {
    const add = e.target.closest("a.tag-add");
    if (add && panel && home) {
      e.preventDefault();
      if (cellOf(panel) === cellOf(add)) closePanel(); else openPanel(add);
      return;
    }
    // A chip shows its × when clicked, and hides it on a second click.
    const name = e.target.closest(".tag-name");
    if (name) {
      const tag = name.closest(".tag");
      const open = !tag.classList.contains("open");
      document.querySelectorAll(".tag.open").forEach((t) => {
        t.classList.remove("open");
        t.querySelector(".tag-name").setAttribute("aria-expanded", "false");
      });
      tag.classList.toggle("open", open);
      name.setAttribute("aria-expanded", String(open));
      return;
    }
    const cancel = e.target.closest(".tag-cancel");
    if (cancel) {
      const d = cancel.closest("details.tag-create");
      d.open = false;
      d.querySelector("input[name=name]").value = "";
      const filter = d.closest(".tag-panel").querySelector(".tag-filter");
      if (filter) filter.focus();
      return;
    }
    // A click outside closes the table's panel.
    if (panel && home && cellOf(panel) && !e.target.closest(".tag-panel")) closePanel();
  });

  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && panel && home && cellOf(panel)) closePanel();
  });

  document.addEventListener("input", (e) => {
    if (e.target.classList.contains("tag-filter")) filterTags(e.target);
  });

  document.addEventListener("toggle", (e) => {
    if (e.target.matches("details.tag-create") && e.target.open) {
      e.target.querySelector("input[name=name]").focus();
    }
  }, true);

  // A new tag joins the panel's list, in name order.
  const addOption = (tag, cls) => {
    const list = document.querySelector(".tag-options");
    if (!list || list.querySelector('button[value="' + tag.id + '"]')) return;
    const none = list.querySelector(".tag-none");
    if (none) none.remove();
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "submit";
    b.name = "tag";
    b.value = String(tag.id);
    b.className = "tag " + cls;
    b.dataset.color = tag.color;
    b.dataset.name = tag.name;
    b.textContent = tag.name;
    li.appendChild(b);
    const next = [...list.querySelectorAll("li")].find((x) => {
      const o = x.querySelector("button");
      return o && o.dataset.name.toLowerCase() > tag.name.toLowerCase();
    });
    list.insertBefore(li, next || null);
    paint(li);
  };

  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form.tag-form");
    if (!form) return;
    e.preventDefault();
    const cell = cellOf(form);
    const errBox = form.closest(".tag-panel") ? form.closest(".tag-panel").querySelector(".tag-error") : null;
    const data = new FormData(form, e.submitter || null);
    let resp, body;
    try {
      resp = await fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" });
      body = await resp.json();
    } catch (err) {
      body = { error: { message: "The server could not be reached. Try again." } };
    }
    // The double-submission guard of app.js disabled the button.
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    if (!resp || !resp.ok) {
      // Every error has the API's shape: {"error": {"code", "message", "fields"}}.
      const msg = (body && body.error && body.error.message) || "Not saved.";
      if (errBox) { errBox.textContent = msg; errBox.hidden = false; }
      else window.alert(msg);
      return;
    }
    if (errBox) errBox.hidden = true;
    const list = cell.querySelector(".tag-list");
    const tpl = document.createElement("template");
    tpl.innerHTML = body.html;
    const fresh = tpl.content.firstElementChild;
    list.replaceWith(fresh);
    paint(fresh);
    const empty = cell.querySelector(".tag-empty");
    if (empty) empty.hidden = fresh.children.length > 0;
    if (form.classList.contains("tag-new")) {
      addOption(body.tag, body.class);
      form.reset();
      form.closest("details").open = false;
    }
    if (!form.classList.contains("tag-remove")) {
      closePanel();
      const d = cell.querySelector("details.tag-add-details");
      if (d) d.open = false;
    }
  });
})();
