// A refused save reloads at the top of the page: move focus to the error summary there, so it is
// seen and read out, and its links lead to each field. Also after an htmx swap brings one in.
(function () {
  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) {
      summary.focus({ preventScroll: true });
      summary.scrollIntoView({ block: "start", behavior: "instant" });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  // Again once loaded: the browser may restore the scroll position of the page it came from.
  window.addEventListener("load", function () { focusSummary(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusSummary(event.target); });
  // A link in the summary focuses its field (not just scrolls to it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.scrollIntoView({ block: "center", behavior: "instant" });
      field.focus({ preventScroll: true });
    }
  });
})();
