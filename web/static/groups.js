// Groups pages: add and remove property rows, and move groups up and down
// in the smart type list. Without JavaScript the forms still work: a blank
// property row is always there, clearing a key removes its row, and the
// priority numbers set the order.
(function () {
  "use strict";

  function renumber(tbody) {
    tbody.querySelectorAll(".gp-order").forEach(function (input, i) { input.value = i + 1; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var props = document.getElementById("prop-rows");
    if (props) {
      var body = props.tBodies[0];
      var add = document.querySelector(".gp-prop-add");
      var template = body.rows[body.rows.length - 1].cloneNode(true);
      props.querySelectorAll(".gp-prop-remove").forEach(function (b) { b.hidden = false; });
      if (add) {
        add.hidden = false;
        add.addEventListener("click", function () {
          var row = template.cloneNode(true);
          row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
          body.appendChild(row);
          row.querySelector("input").focus();
        });
      }
      body.addEventListener("click", function (e) {
        var b = e.target.closest(".gp-prop-remove");
        if (b) { b.closest("tr").remove(); }
      });
    }

    var order = document.querySelector(".gp-order-table");
    if (order) {
      var tbody = order.tBodies[0];
      order.querySelectorAll(".gp-up, .gp-down").forEach(function (b) { b.hidden = false; });
      tbody.addEventListener("click", function (e) {
        var b = e.target.closest(".gp-up, .gp-down");
        if (!b) { return; }
        var row = b.closest("tr");
        if (b.classList.contains("gp-up") && row.previousElementSibling) {
          tbody.insertBefore(row, row.previousElementSibling);
        } else if (b.classList.contains("gp-down") && row.nextElementSibling) {
          tbody.insertBefore(row.nextElementSibling, row);
        }
        renumber(tbody);
        b.focus();
      });
    }
  });
})();
