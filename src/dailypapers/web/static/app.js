// Progressive enhancements; every page works without this file.
(function () {
  "use strict";
  var DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];

  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    root.querySelectorAll(".math").forEach(function (el) {
      window.renderMathInElement(el, { delimiters: DELIMITERS, throwOnError: false });
    });
  }

  // The date picker goes straight to /papers/date/YYYY-MM-DD instead of a query string.
  function wireDatePicker() {
    document.querySelectorAll("form[data-date-picker]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var day = form.querySelector("input[type=date]").value;
        if (!day) return;
        event.preventDefault();
        window.location.href = "/papers/date/" + day;
      });
    });
  }

  // A refused form inside [data-swap-errors] shows the answer (it carries the message).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (status >= 400 && status < 500 && target && target.closest && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (event.detail.successful && form.hasAttribute && form.hasAttribute("data-reset-on-success")) {
      form.reset();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    wireDatePicker();
  });
})();
