// 联动 — the error pages' "back" link (<a data-back>): no inline script under the CSP.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("[data-back]");
    if (!link || window.history.length < 2) return;
    ev.preventDefault();
    window.history.back();
  });
})();
