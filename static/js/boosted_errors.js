// Boosted navigation (hx-boost on <body>) turns links and form posts into htmx requests,
// and htmx leaves a 4xx answer unshown by default: a form with a mistake, answered 400
// with the form and its errors, would seem to do nothing at all. Every 4xx page Keel
// serves is a whole page meant to be read (form errors, "you may not", "not found"), so a
// boosted request shows it as a normal page load would. Requests an element makes on its
// own (hx-get on a panel) keep htmx's default: their target is not the whole page.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (event.detail.boosted && status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
