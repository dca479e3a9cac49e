#!/usr/bin/env bash
# Installs what the browser tests (test/browser, test/adminui) need when it
# is missing: Debian's chromium, run headless by chromedp, and axe-core (npm),
# the accessibility checker the page tests run in the pages.
# Idempotent and quiet: what is there already is only checked. Needs root (or
# sudo) and Debian's package repositories, or the npm registry, only when
# something is missing.
set -euo pipefail

# axe-core goes where test/adminui looks for it ($DINHDANH_AXE overrides).
axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/dinhdanh-test/axe"
if [ ! -s "$axe_dir/node_modules/axe-core/axe.min.js" ] ||
	! grep -q "\"version\": \"$axe_version\"" "$axe_dir/node_modules/axe-core/package.json" 2>/dev/null; then
	if ! command -v npm >/dev/null 2>&1; then
		if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
			echo "install-browser.sh: installing npm" >&2
			DEBIAN_FRONTEND=noninteractive apt-get update -qq
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
		else
			echo "install-browser.sh: npm is missing: install it to get axe-core" >&2
			exit 1
		fi
	fi
	echo "install-browser.sh: installing axe-core $axe_version" >&2
	mkdir -p "$axe_dir"
	npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$axe_dir" "axe-core@$axe_version" >/dev/null
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
