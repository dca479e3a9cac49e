// The registry of signing adapters: one module per kind of signing software
// a person may have installed next to a USB token (the Government Cipher
// Committee's VGCA Sign Service today; BkavCA, VNPT-CA and others are one
// more module each). Load this file first, then the adapters, then
// signing.js, all with "defer", so that they run in that order under a
// Content Security Policy without 'unsafe-inline'.
//
// An adapter is an object registered with window.dinhdanhSigning.register:
//
//   name       short identifier, such as "vgca"
//   label      what the page may show of it
//   available(options) -> Promise<boolean>
//              whether the software answers on this computer; never rejects
//   sign(challenge, options) -> Promise<result>
//              asks the software to sign challenge, an object
//                { value: "dinhdanh:login:…",   the text to sign, UTF-8
//                  sha256: "…",                 base64 SHA-256 of value
//                  expiresAt: "…" }             RFC 3339
//              and resolves with
//                { format: "cms" | "raw",
//                  signature: "…",              base64
//                  algorithm: "RS256",          for "raw" only (JOSE name)
//                  certificates: ["…", …] }     base64 DER, signer first
//              or rejects with an error made by dinhdanhSigning.error(code,
//              message), code being "unavailable" (the software does not
//              answer), "cancelled" (the person declined) or "failed".
//
// options are the data-* attributes of the signing form, by adapter
// (for example data-vgca-endpoint becomes options.vgcaEndpoint).
(function () {
  "use strict";

  var adapters = [];

  function error(code, message) {
    var e = new Error(message || code);
    e.name = "SigningError";
    e.code = code;
    return e;
  }

  function register(adapter) {
    if (!adapter || typeof adapter.name !== "string" || typeof adapter.sign !== "function" ||
        typeof adapter.available !== "function") {
      throw error("failed", "a signing adapter needs a name, available() and sign()");
    }
    adapters = adapters.filter(function (a) { return a.name !== adapter.name; });
    adapters.push(adapter);
  }

  function get(name) {
    for (var i = 0; i < adapters.length; i++) {
      if (adapters[i].name === name) {
        return adapters[i];
      }
    }
    return null;
  }

  // pick resolves with the first adapter, in the order of names (or of
  // registration when names is empty), whose software answers; it rejects
  // with code "unavailable" when none does.
  function pick(names, options) {
    var list = names && names.length ? names.map(get).filter(Boolean) : adapters.slice();
    var i = 0;
    function next() {
      if (i >= list.length) {
        return Promise.reject(error("unavailable", "no signing software answers"));
      }
      var adapter = list[i++];
      return Promise.resolve(adapter.available(options)).then(function (ok) {
        return ok ? adapter : next();
      }, next);
    }
    return next();
  }

  // Base64 of bytes and back, for adapters.
  function bytesToBase64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return window.btoa(s);
  }

  function base64ToBytes(text) {
    var s = window.atob(String(text).replace(/[\s]/g, "").replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) {
      out[i] = s.charCodeAt(i);
    }
    return out;
  }

  // looksLikeCMS reports whether base64 text decodes to a CMS SignedData
  // ContentInfo: a SEQUENCE starting with the OID 1.2.840.113549.1.7.2.
  function looksLikeCMS(text) {
    var b;
    try {
      b = base64ToBytes(String(text).slice(0, 64));
    } catch (e) {
      return false;
    }
    var oid = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    if (b[0] !== 0x30) {
      return false;
    }
    for (var start = 2; start <= 6; start++) {
      var match = true;
      for (var j = 0; j < oid.length; j++) {
        if (b[start + j] !== oid[j]) {
          match = false;
          break;
        }
      }
      if (match) {
        return true;
      }
    }
    return false;
  }

  window.dinhdanhSigning = {
    register: register,
    get: get,
    adapters: function () { return adapters.slice(); },
    pick: pick,
    error: error,
    bytesToBase64: bytesToBase64,
    base64ToBytes: base64ToBytes,
    looksLikeCMS: looksLikeCMS
  };
})();
