// Schedule editor: the up/down buttons swap a participant with the one before or after it,
// so the turn order is what the form posts; "Add a turn" adds an empty turn at once (without
// script it posts the form back with more empty turns, saving nothing).
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
  function addTurn(button) {
    var list = button.parentElement.querySelector("ol.participants");
    var last = list.lastElementChild;
    var turn = last.cloneNode(true);
    var select = turn.querySelector("select");
    select.value = "";
    select.setAttribute("aria-label", "Turn " + (list.children.length + 1));
    list.appendChild(turn);
    select.focus();
  }
  document.addEventListener("click", function (event) {
    var add = event.target.closest(".add-turn");
    if (add) {
      event.preventDefault();
      addTurn(add);
      return;
    }
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
