// Progressive enhancement for dinhdanh pages. Every page works without this
// file; it only adds conveniences. Loaded with "defer" from /assets/, so it
// runs under a Content Security Policy without 'unsafe-inline'.
(function () {
  "use strict";

  // Move keyboard focus to the error summary so that keyboard and
  // screen-reader users start from the list of problems.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // Focus the field when a link of the error summary is followed, and
  // scroll so that its label stays visible.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      event.preventDefault();
      var label = document.querySelector("label[for='" + target.id + "']");
      var group = target.closest(".form-group");
      (group || label || target).scrollIntoView();
      target.focus({ preventScroll: true });
    });
  });

  // Show / hide password buttons. The labels come from data attributes so
  // they follow the page language.
  document.querySelectorAll("input[data-password-toggle]").forEach(function (input) {
    var show = input.getAttribute("data-show-label");
    var hide = input.getAttribute("data-hide-label");
    if (!show || !hide) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-secondary password-toggle";
    button.textContent = show;
    button.setAttribute("aria-controls", input.id);
    button.addEventListener("click", function () {
      var visible = input.type === "password";
      input.type = visible ? "text" : "password";
      button.textContent = visible ? hide : show;
      input.focus();
    });
    input.insertAdjacentElement("afterend", button);
    if (input.form) {
      // Never submit (or let the browser remember) a password shown as text.
      input.form.addEventListener("submit", function () {
        input.type = "password";
        button.textContent = show;
      });
    }
  });

  // Ignore a second submission of the same form (a double click or a
  // second press of Enter) while the first is on its way.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "true");
      form.setAttribute("aria-busy", "true");
    });
  });

  // A page restored from the back/forward cache must accept input again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.removeAttribute("aria-busy");
    });
  });
})();
