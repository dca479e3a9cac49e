// Copy and download of the recovery codes page. The codes are shown once:
// the text file is built here, in the page, from the codes it shows (a data:
// URL), so no address can serve them again later. Without this script the
// list is selected whole by a tap or a click (user-select: all in mfa.css) and
// copied with the system's own menu.
(function () {
  "use strict";

  var actions = document.querySelector("[data-recovery-actions]");
  var list = document.querySelector("[data-recovery-codes]");
  if (!actions || !list) {
    return;
  }
  var status = document.querySelector("[data-recovery-status]");
  var codes = Array.prototype.map.call(list.querySelectorAll("code"), function (c) {
    return c.textContent.trim();
  });
  var text = codes.join("\n") + "\n";

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  // selectList selects the codes on the page, for a copy by hand.
  function selectList() {
    var range = document.createRange();
    range.selectNodeContents(list);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  var copy = actions.querySelector("[data-recovery-copy]");
  copy.addEventListener("click", function () {
    var done = function () { say(actions.getAttribute("data-copied")); };
    var failed = function () {
      selectList();
      say(actions.getAttribute("data-copy-failed"));
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  });

  // The download is a link made for the moment of the click, to a data:
  // URL of the file, followed and removed.
  var intro = actions.getAttribute("data-file-intro");
  actions.querySelector("[data-recovery-download]").addEventListener("click", function () {
    var link = document.createElement("a");
    link.href = "data:text/plain;charset=utf-8," + encodeURIComponent((intro ? intro + "\n\n" : "") + text);
    link.download = actions.getAttribute("data-file-name") || "recovery-codes.txt";
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  actions.hidden = false;
})();
