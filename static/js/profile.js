// The profile page: a new API token (and the chat link code page's code) is selected as soon
// as it is focused, ready to copy.
(function () {
  "use strict";

  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
})();
