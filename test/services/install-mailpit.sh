#!/usr/bin/env bash
# Installs what the mail tests need when it is missing: mailpit, an SMTP
# server with an HTTP API written in Go (github.com/axllent/mailpit), built
# with "go install" from the Go module proxy into a cache directory:
#
#   ${DINHDANH_TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/dinhdanh-test/bin}/mailpit
#
# which is where test/services (Mailpit) looks for it, besides PATH. The
# tests start their own mailpit on loopback ports; nothing runs as a service.
# Needs the go command and the module proxy only when mailpit is missing.
set -euo pipefail

MAILPIT_VERSION=v1.33.1
bin="${DINHDANH_TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/dinhdanh-test/bin}"

if [ -x "$bin/mailpit" ] && "$bin/mailpit" version 2>/dev/null | grep -q "${MAILPIT_VERSION}"; then
	exit 0
fi
if ! command -v go >/dev/null 2>&1; then
	echo "install-mailpit.sh: mailpit is missing and the go command is not available" >&2
	exit 1
fi
mkdir -p "$bin"
echo "install-mailpit.sh: installing mailpit ${MAILPIT_VERSION} into $bin" >&2
GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/axllent/mailpit@${MAILPIT_VERSION}"
if [ ! -x "$bin/mailpit" ]; then
	echo "install-mailpit.sh: mailpit did not install" >&2
	exit 1
fi
