// After a logout, wait until the front-channel logout frames have loaded
// (or a few seconds have passed) and then continue to the application.
(function () {
  "use strict";
  var page = document.querySelector("[data-logged-out]");
  if (!page) {
    return;
  }
  var next = page.getAttribute("data-continue");
  var frames = document.querySelectorAll(".frontchannel-frame");
  var pending = frames.length;
  var done = false;
  function go() {
    if (done) {
      return;
    }
    done = true;
    var status = document.getElementById("frontchannel-status");
    if (status) {
      status.hidden = true;
    }
    if (next) {
      window.location.assign(next);
    }
  }
  frames.forEach(function (f) {
    f.addEventListener("load", function () {
      pending--;
      if (pending <= 0) {
        go();
      }
    });
  });
  if (pending === 0) {
    if (next) {
      go();
    }
    return;
  }
  window.setTimeout(go, 4000);
})();
