#!/usr/bin/env bash
# Installs what the browser tests (test/browser) need when it is missing:
# Debian's chromium, run headless by chromedp. Idempotent and quiet: when a
# Chromium is already there it only checks and exits. Needs root (or sudo)
# and Debian's package repositories only when something is missing.
set -euo pipefail

for name in chromium chromium-browser google-chrome; do
	if command -v "$name" >/dev/null 2>&1; then
		exit 0
	fi
done

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-browser.sh: chromium is missing and apt-get is not available; install Chromium by hand" >&2
	exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-browser.sh: chromium is missing; run as root or install it by hand" >&2
		exit 1
	fi
	sudo=(sudo)
fi

echo "install-browser.sh: installing chromium" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
if ! command -v chromium >/dev/null 2>&1; then
	echo "install-browser.sh: chromium did not install" >&2
	exit 1
fi
