#!/usr/bin/env bash
# Installs what the tests need to start throwaway servers: PostgreSQL and
# Redis (Debian packages), and curl (the README's admin API example is run
# as written). Idempotent: when both are present it only checks
# and exits. Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
have_postgres() {
	command -v initdb >/dev/null 2>&1 && return 0
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v curl >/dev/null 2>&1 || missing+=(curl)

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "test/services: ${missing[*]} missing and apt-get is not available; install them by hand" >&2
	exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "test/services: ${missing[*]} missing; run as root or install them by hand" >&2
		exit 1
	fi
	sudo=(sudo)
fi

echo "test/services: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start system-wide servers; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for unit in redis-server postgresql; do
		"${sudo[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
	done
fi
