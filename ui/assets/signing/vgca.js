// The adapter for the VGCA Sign Service, the signing software of the
// Government Cipher Committee (Ban Cơ yếu Chính phủ) that government web
// applications use with USB tokens. The service listens on the person's own
// computer, at wss://127.0.0.1:8987 unless the form's data-vgca-endpoint says
// otherwise; the page's Content Security Policy must allow that address in
// connect-src.
//
// Every call is one WebSocket to the path of its function: the page sends
// one text message when the socket opens, the service answers with one text
// message, a JSON object whose Status is 0 on success, and the page closes
// the socket. A non-zero Status is a failure explained by Message (Error in
// older versions).
//
//   GetVersion  probes for the service (the socket opening is enough)
//   SignMsg     {"HashAlg":"SHA256","HashValue":"<base64>","Encode":"RSA"}
//               -> {"Status":0,"Signature":"<base64>","CertBase64":"<base64 DER>"}
//
// The service signs the SHA-256 of the challenge that the server computed;
// the server verifies the signature against its own copy of the challenge.
// A Signature that is a CMS SignedData is posted as "cms"; otherwise it is
// a signature over the digest, posted as "raw": RS256 (PKCS #1 v1.5) for an
// RSA certificate, ES256 for an EC one.
(function () {
  "use strict";

  var signing = window.dinhdanhSigning;
  if (!signing) {
    return;
  }

  var DEFAULT_URL = "wss://127.0.0.1:8987";
  var PROBE_TIMEOUT = 3000; // ms for the service to accept a connection
  var SIGN_TIMEOUT = 180000; // ms for the person to enter the token's PIN

  function baseURL(options) {
    var url = (options && options.vgcaEndpoint) || DEFAULT_URL;
    return url.replace(/\/+$/, "");
  }

  // call opens a socket to fn, sends message and resolves with the parsed
  // answer; it rejects "unavailable" when the socket does not open and
  // "failed" when the answer is missing or not JSON.
  function call(options, fn, message, timeout) {
    return new Promise(function (resolve, reject) {
      var socket;
      var opened = false;
      var settled = false;
      function settle(err, value) {
        if (settled) {
          return;
        }
        settled = true;
        window.clearTimeout(timer);
        try {
          socket.close();
        } catch (e) {
          // already closed
        }
        if (err) {
          reject(err);
        } else {
          resolve(value);
        }
      }
      var timer = window.setTimeout(function () {
        settle(signing.error(opened ? "failed" : "unavailable", "the signing service did not answer in time"));
      }, timeout);
      try {
        socket = new WebSocket(baseURL(options) + "/" + fn);
      } catch (e) {
        window.clearTimeout(timer);
        reject(signing.error("unavailable", "the signing service cannot be reached"));
        return;
      }
      socket.onopen = function () {
        opened = true;
        socket.send(message);
      };
      socket.onmessage = function (event) {
        var answer;
        try {
          answer = JSON.parse(event.data);
        } catch (e) {
          settle(signing.error("failed", "the signing service answered something else than JSON"));
          return;
        }
        settle(null, answer);
      };
      socket.onerror = function () {
        settle(signing.error(opened ? "failed" : "unavailable", "the signing service cannot be reached"));
      };
      socket.onclose = function () {
        settle(signing.error(opened ? "failed" : "unavailable", "the signing service closed the connection"));
      };
    });
  }

  function available(options) {
    return new Promise(function (resolve) {
      var socket;
      var done = false;
      function finish(ok) {
        if (done) {
          return;
        }
        done = true;
        window.clearTimeout(timer);
        try {
          socket.close();
        } catch (e) {
          // already closed
        }
        resolve(ok);
      }
      var timer = window.setTimeout(function () { finish(false); }, PROBE_TIMEOUT);
      try {
        socket = new WebSocket(baseURL(options) + "/GetVersion");
      } catch (e) {
        finish(false);
        return;
      }
      socket.onopen = function () { finish(true); };
      socket.onerror = function () { finish(false); };
      socket.onclose = function () { finish(false); };
    });
  }

  // rawAlgorithm names the bare signature by the certificate's key: ES256
  // when its public key is an EC key (the OID id-ecPublicKey occurs in the
  // certificate), RS256 otherwise.
  function rawAlgorithm(certBase64) {
    var der;
    try {
      der = signing.base64ToBytes(certBase64);
    } catch (e) {
      return "RS256";
    }
    var oid = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    for (var i = 0; i + oid.length <= der.length; i++) {
      var j = 0;
      while (j < oid.length && der[i + j] === oid[j]) {
        j++;
      }
      if (j === oid.length) {
        return "ES256";
      }
    }
    return "RS256";
  }

  function sign(challenge, options) {
    if (!challenge || !challenge.sha256) {
      return Promise.reject(signing.error("failed", "no challenge digest to sign"));
    }
    var request = JSON.stringify({ HashAlg: "SHA256", HashValue: challenge.sha256, Encode: "RSA" });
    return call(options, "SignMsg", request, SIGN_TIMEOUT).then(function (answer) {
      if (!answer || answer.Status !== 0) {
        var message = (answer && (answer.Message || answer.Error)) || "the signing service refused";
        throw signing.error("failed", message);
      }
      if (!answer.Signature || !answer.CertBase64) {
        throw signing.error("failed", "the signing service answered without a signature or certificate");
      }
      if (signing.looksLikeCMS(answer.Signature)) {
        return { format: "cms", signature: answer.Signature, certificates: [answer.CertBase64] };
      }
      return { format: "raw", signature: answer.Signature, algorithm: rawAlgorithm(answer.CertBase64),
        certificates: [answer.CertBase64] };
    });
  }

  signing.register({
    name: "vgca",
    label: "VGCA Sign Service",
    available: available,
    sign: sign
  });
})();
