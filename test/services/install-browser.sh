#!/usr/bin/env bash
# Installs what the browser tests (test/browser) need when it is missing:
# Debian's chromium, run headless by chromedp, and the npm package axe-core
# (the accessibility checker the page tests inject), kept in
# ${XDG_CACHE_HOME:-~/.cache}/dinhdanh-test/axe where test/browser finds it.
# Idempotent and quiet: when both are already there it only checks and exits.
# Needs root (or sudo) and Debian's package repositories only when Chromium is
# missing, and npm only when axe-core is.
set -euo pipefail

axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/dinhdanh-test/axe"
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "install-browser.sh: axe-core is missing and npm is not available; install npm (Debian: apt-get install npm)" >&2
		exit 1
	fi
	echo "install-browser.sh: installing axe-core into $axe_dir" >&2
	mkdir -p "$axe_dir"
	npm install --silent --no-audit --no-fund --prefix "$axe_dir" axe-core@4 >/dev/null
fi

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
