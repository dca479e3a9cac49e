// Signs a challenge with a USB token and posts it back: the script of a
// certificate form. Load it after adapters.js and the adapters, with
// "defer". It looks for
//
//   <form method="post" action="…" data-certificate-signing
//         data-challenge-url="…"            POST here for a challenge (JSON)
//         data-signing-adapters="vgca"      adapters to try, in order (optional)
//         data-vgca-endpoint="wss://127.0.0.1:8987"   adapter options (optional)
//         data-msg-working="…" data-msg-unavailable="…"
//         data-msg-cancelled="…" data-msg-failed="…" data-msg-expired="…">
//     <input type="hidden" name="csrf_token" value="…">
//     <input type="hidden" name="flow" value="…">
//     <button type="button" data-signing-start hidden>…</button>
//     <p data-signing-status role="status" hidden></p>
//   </form>
//
// The button is hidden until this script runs, since nothing can be signed
// without it. A click asks the server for a challenge (posting the form's
// csrf_token and flow; the server answers JSON {challenge, sha256,
// expires_at}, or 404 or 410 when the flow is gone), has the first
// available adapter sign it, adds the
// hidden fields format, signature, algorithm, certificate (one per
// certificate) and adapter to the form and submits it. Messages come from
// the form's data-msg-* attributes, in the page's language, and are set as
// text.
(function () {
  "use strict";

  var signing = window.dinhdanhSigning;
  if (!signing) {
    return;
  }

  // adapterOptions turns data-vgca-endpoint into { vgcaEndpoint: … }: every data-*
  // attribute except the form's own.
  function adapterOptions(form) {
    var own = { certificateSigning: true, challengeUrl: true, signingAdapters: true };
    var options = {};
    Object.keys(form.dataset).forEach(function (key) {
      if (!own[key] && key.indexOf("msg") !== 0) {
        options[key] = form.dataset[key];
      }
    });
    return options;
  }

  function setField(form, name, values) {
    form.querySelectorAll("input[type=hidden][data-signing-field='" + name + "']").forEach(function (input) {
      input.remove();
    });
    values.forEach(function (value) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      input.setAttribute("data-signing-field", name);
      form.appendChild(input);
    });
  }

  function requestChallenge(form) {
    var body = new URLSearchParams();
    ["csrf_token", "flow"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) {
        body.append(name, field.value);
      }
    });
    return fetch(form.getAttribute("data-challenge-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: body
    }).then(function (response) {
      if (response.status === 404 || response.status === 410) {
        throw signing.error("expired", "the login flow has expired");
      }
      if (!response.ok) {
        throw signing.error("failed", "the server gave no challenge (" + response.status + ")");
      }
      return response.json();
    }).then(function (data) {
      if (!data || !data.challenge || !data.sha256) {
        throw signing.error("failed", "the server gave no challenge");
      }
      return { value: data.challenge, sha256: data.sha256, expiresAt: data.expires_at };
    });
  }

  function setup(form) {
    var button = form.querySelector("[data-signing-start]");
    var status = form.querySelector("[data-signing-status]");
    if (!button) {
      return;
    }
    button.hidden = false;

    function say(code, detail) {
      if (!status) {
        return;
      }
      var text = form.getAttribute("data-msg-" + code) || form.getAttribute("data-msg-failed") || "";
      status.textContent = text;
      status.hidden = text === "";
      status.setAttribute("data-signing-state", code);
      if (detail) {
        status.setAttribute("data-signing-detail", detail);
      } else {
        status.removeAttribute("data-signing-detail");
      }
    }

    var busy = false;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      button.disabled = true;
      say("working");
      var options = adapterOptions(form);
      var names = (form.getAttribute("data-signing-adapters") || "").split(/[\s,]+/).filter(Boolean);
      var adapter;
      signing.pick(names, options).then(function (picked) {
        adapter = picked;
        return requestChallenge(form);
      }).then(function (challenge) {
        return adapter.sign(challenge, options);
      }).then(function (result) {
        setField(form, "format", [result.format]);
        setField(form, "signature", [result.signature]);
        setField(form, "algorithm", result.algorithm ? [result.algorithm] : []);
        setField(form, "certificate", result.certificates || []);
        setField(form, "adapter", [adapter.name]);
        form.submit();
      }).catch(function (err) {
        busy = false;
        button.disabled = false;
        say((err && err.code) || "failed", err && err.message);
      });
    });
  }

  document.querySelectorAll("form[data-certificate-signing]").forEach(setup);
})();
