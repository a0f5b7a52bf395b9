/*
 * The compare page's council picker: a text box that narrows the list of council checkboxes
 * to the names containing what is typed, keeping the councils already chosen in view. Without
 * this script the text box stays hidden and the page is a plain list of checkboxes.
 */
(function () {
  "use strict";

  var filter = document.querySelector("[data-council-filter]");
  var list = document.querySelector("[data-council-list]");
  if (!filter || !list) {
    return;
  }
  var input = filter.querySelector("input");
  var count = filter.querySelector("[aria-live]");
  var items = Array.prototype.slice.call(list.querySelectorAll(".checkboxes__item"));
  filter.hidden = false;

  function narrow() {
    var typed = input.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (item) {
      var name = item.querySelector("label").textContent.toLowerCase();
      var chosen = item.querySelector("input").checked;
      var match = typed === "" || name.indexOf(typed) !== -1;
      item.hidden = !(match || chosen);
      if (match) {
        shown += 1;
      }
    });
    count.textContent =
      typed === "" ? "" : shown + (shown === 1 ? " council matches" : " councils match");
  }

  input.addEventListener("input", narrow);
  // Enter in the text box filters; it does not submit the form half-chosen.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
    }
  });
})();
