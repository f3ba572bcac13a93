// Phones show a table's rows as stacked cards (keel.css): each cell is labelled with its
// column's heading, copied here from the table's head into data-label, for every table
// with the "table" class on the page and in whatever htmx swaps in later. Without
// script the cards still read, only unlabelled.
(function () {
  "use strict";

  function label(root) {
    const tables = root.matches && root.matches("table.table") ? [root] : [];
    tables.push(...root.querySelectorAll("table.table"));
    for (const table of tables) {
      const headings = [];
      for (const th of table.querySelectorAll("thead tr:first-child > th")) {
        for (let span = Number(th.colSpan) || 1; span > 0; span -= 1) {
          headings.push(th.textContent.trim().replace(/\s+/g, " "));
        }
      }
      for (const row of table.querySelectorAll("tbody > tr")) {
        let column = 0;
        for (const cell of row.children) {
          const heading = headings[column];
          if (heading && !cell.hasAttribute("data-label")) cell.dataset.label = heading;
          column += Number(cell.colSpan) || 1;
        }
      }
    }
  }

  document.addEventListener("htmx:load", (event) => label(event.detail.elt));
  label(document);
})();
