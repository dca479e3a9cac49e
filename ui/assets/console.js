// dinhdanh: small conveniences of the admin console. Everything works
// without it: it asks for a confirmation before a destructive form is
// sent (forms marked data-confirm) and offers to copy a secret or the
// integration snippet (buttons marked data-copy, hidden until it runs).
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        ev.preventDefault();
        // app.js marked the form as on its way: it is not.
        form.removeAttribute("data-submitting");
        form.removeAttribute("aria-busy");
      }
    });
  });
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent).catch(function () {});
    });
  });
})();
