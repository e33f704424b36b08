// Wide tables scroll inside their own box, not the page: every table outside a .table-responsive box
// gets one, and a box that scrolls takes the keyboard focus (tabindex 0) so that it can be scrolled
// without a mouse (WCAG 2.1.1). A static file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  function wrap() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.closest(".table-responsive")) { return; }
      var box = document.createElement("div");
      box.className = "table-responsive";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }
  function focusable() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var table = box.querySelector("table");
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        var caption = table && table.querySelector("caption");
        var name = (table && table.getAttribute("aria-label")) || (caption && caption.textContent.trim());
        if (name) { box.setAttribute("role", "region"); box.setAttribute("aria-label", name); }
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  function ready() {
    wrap();
    focusable();
    var timer;
    window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(focusable, 150); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
