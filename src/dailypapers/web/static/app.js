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

  // A refused form inside [data-swap-errors] shows the answer (it carries the message).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (status >= 400 && status < 500 && target && target.closest && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A posted form is cleared once it worked; an answer sent elsewhere (a message for the
  // form, HX-Retarget) leaves the text in place so it can be corrected.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (!event.detail.successful || !form.hasAttribute || !form.hasAttribute("data-reset-on-success")) return;
    if (event.detail.xhr && event.detail.xhr.getResponseHeader("HX-Retarget")) return;
    form.reset();
    var error = form.querySelector(".error");
    if (error) error.textContent = "";
  });

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
  });
})();
