// Every table sits in a box that scrolls sideways on its own, so a wide table never makes the page scroll (390 px
// phones). A file, not an inline script: the CSP allows scripts from the app only.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.parentElement && table.parentElement.classList.contains("table-wrap")) return;
    var box = document.createElement("div");
    box.className = "table-wrap";
    box.tabIndex = 0; // reachable by keyboard to scroll (axe: scrollable-region-focusable)
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
});
