// Confirmation before a change that is hard to take back (strike a note, revoke a token,
// remove someone from a role). Mark the submit button, or the form, with
// data-confirm="The question"; nothing is sent unless the person agrees. A listener on the
// document, in the capture phase, so it runs before htmx sees the submit.
(function () {
  "use strict";

  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      const button = event.submitter;
      const question =
        (button && button.dataset.confirm) || (form.dataset && form.dataset.confirm);
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );
})();
