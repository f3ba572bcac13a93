// Schedule editor: the up/down buttons swap a participant with the one before or after it,
// so the turn order is what the form posts.
(function () {
  "use strict";
  function swap(a, b) {
    if (!a || !b) return;
    var selectA = a.querySelector("select");
    var selectB = b.querySelector("select");
    var value = selectA.value;
    selectA.value = selectB.value;
    selectB.value = value;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".move-up, .move-down");
    if (!button) return;
    var item = button.closest("li");
    if (button.classList.contains("move-up")) {
      swap(item, item.previousElementSibling);
    } else {
      swap(item, item.nextElementSibling);
    }
  });
})();
