// Security keys and passkeys (WebAuthn) for dinhdanh pages. Loaded with
// "defer" from /assets/, so it runs under a Content Security Policy without
// 'unsafe-inline'.
//
// A block marked data-webauthn="register", "login" (a second factor) or
// "passwordless" runs one ceremony when one of its [data-webauthn-start]
// buttons is pressed: it posts JSON to data-begin (with the page's CSRF
// token and login flow), hands the options to navigator.credentials, posts
// the authenticator's answer to data-finish and follows the redirect it
// gets back. A passwordless block with data-conditional="ID" also offers
// the passkeys in the browser's autofill of the input with that id
// (conditional mediation) where the browser supports it. Blocks stay hidden
// where WebAuthn is missing; the [data-webauthn-unsupported] note stays
// visible there instead.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function fromBase64url(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var bin = window.atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toBase64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return window.btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeDescriptors(list) {
    (list || []).forEach(function (d) {
      d.id = fromBase64url(d.id);
    });
  }

  function creationOptions(pk) {
    pk.challenge = fromBase64url(pk.challenge);
    pk.user.id = fromBase64url(pk.user.id);
    decodeDescriptors(pk.excludeCredentials);
    return pk;
  }

  function requestOptions(pk) {
    pk.challenge = fromBase64url(pk.challenge);
    decodeDescriptors(pk.allowCredentials);
    return pk;
  }

  function encodeCredential(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) {
      out.authenticatorAttachment = cred.authenticatorAttachment;
    }
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      if (r.userHandle && r.userHandle.byteLength) {
        out.response.userHandle = toBase64url(r.userHandle);
      }
    }
    return out;
  }

  // post sends JSON and returns the JSON answer; an answer that is not 2xx
  // is an error carrying the server's message (already in the page language).
  function post(url, body) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () {
        return {};
      }).then(function (data) {
        if (!resp.ok) {
          var e = new Error(data.message || "");
          e.fromServer = true;
          throw e;
        }
        return data;
      });
    });
  }

  function setStatus(block, text) {
    var status = block.querySelector("[data-webauthn-status]");
    if (status) {
      status.textContent = text;
    }
  }

  // run performs one ceremony of the block.
  function run(block, opts) {
    var kind = block.getAttribute("data-webauthn");
    var nameInput = block.getAttribute("data-name-input");
    var body = {
      csrf_token: block.getAttribute("data-csrf") || "",
      flow: block.getAttribute("data-flow") || "",
      passkey: !!opts.passkey,
      conditional: !!opts.conditional
    };
    return post(block.getAttribute("data-begin"), body).then(function (begun) {
      if (begun.redirect) {
        // The server asks for something first (confirming who you are).
        window.location.assign(begun.redirect);
        return null;
      }
      var pk = begun.options.publicKey;
      var pending;
      if (kind === "register") {
        pending = navigator.credentials.create({ publicKey: creationOptions(pk) });
      } else {
        var req = { publicKey: requestOptions(pk) };
        if (opts.conditional) {
          req.mediation = "conditional";
          req.signal = opts.signal;
        }
        pending = navigator.credentials.get(req);
      }
      return pending.then(function (cred) {
        if (!cred) {
          throw new DOMException("no credential", "NotAllowedError");
        }
        var name = "";
        if (nameInput) {
          var input = document.getElementById(nameInput);
          name = input ? input.value : "";
        }
        return post(block.getAttribute("data-finish"), {
          csrf_token: body.csrf_token,
          flow: body.flow,
          ceremony: begun.ceremony,
          name: name,
          credential: encodeCredential(cred)
        });
      });
    }).then(function (done) {
      if (done && done.redirect) {
        window.location.assign(done.redirect);
      }
    });
  }

  function failed(block, err) {
    if (err && err.name === "AbortError") {
      return;
    }
    if (err && err.fromServer && err.message) {
      setStatus(block, err.message);
    } else if (err && (err.name === "NotAllowedError" || err.name === "InvalidStateError")) {
      setStatus(block, block.getAttribute("data-cancelled") || "");
    } else {
      setStatus(block, block.getAttribute("data-error") || "");
    }
  }

  document.querySelectorAll("[data-webauthn-unsupported]").forEach(function (note) {
    note.hidden = true;
  });

  document.querySelectorAll("[data-webauthn]").forEach(function (block) {
    block.hidden = false;
    var conditional = null; // the AbortController of a pending autofill request

    function startConditional() {
      var field = block.getAttribute("data-conditional");
      if (!field || !document.getElementById(field) || !PublicKeyCredential.isConditionalMediationAvailable) {
        return;
      }
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) {
          return;
        }
        conditional = new AbortController();
        run(block, { conditional: true, signal: conditional.signal }).catch(function (err) {
          failed(block, err);
        });
      });
    }

    block.querySelectorAll("[data-webauthn-start]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-busy") === "true") {
          return;
        }
        if (conditional) {
          conditional.abort();
          conditional = null;
        }
        setStatus(block, "");
        button.setAttribute("aria-busy", "true");
        button.disabled = true;
        var passkey = button.getAttribute("data-passkey") || block.getAttribute("data-passkey");
        run(block, { passkey: passkey === "true" }).catch(function (err) {
          failed(block, err);
        }).then(function () {
          button.removeAttribute("aria-busy");
          button.disabled = false;
        });
      });
    });

    startConditional();
  });
})();
