#!/usr/bin/env bash
# Installs what the LDAP tests need when it is missing: Debian's OpenLDAP
# server (slapd, with the ppolicy and memberof overlays) and ldap-utils.
#
# The tests start their own slapd from a configuration in a temporary
# directory on loopback ports; no system LDAP server is wanted. slapd is
# preseeded to skip its configuration, its service is kept from starting
# during the install, and a system slapd that runs anyway is stopped.
#
# Needs root (or sudo) and Debian's package repositories. Does nothing when
# /usr/sbin/slapd and ldapadd are already there.
set -euo pipefail

if [ -x /usr/sbin/slapd ] && command -v ldapadd >/dev/null 2>&1; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-ldap.sh: slapd is missing and this is not root (no sudo): install slapd and ldap-utils" >&2
		exit 1
	fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-ldap.sh: slapd is missing and apt-get is not available: install OpenLDAP's slapd and ldap-utils" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections

# Keep the package scripts from starting a system slapd.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	created_policy=1
fi
cleanup() {
	if [ -n "$created_policy" ]; then
		$SUDO rm -f "$policy"
	fi
}
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null

# A system server started anyway (no policy-rc.d honoured) is stopped and disabled.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now slapd >/dev/null 2>&1 || true
elif [ -x /etc/init.d/slapd ]; then
	$SUDO /etc/init.d/slapd stop >/dev/null 2>&1 || true
fi

if [ ! -x /usr/sbin/slapd ]; then
	echo "install-ldap.sh: slapd did not install" >&2
	exit 1
fi
echo "install-ldap.sh: installed $(/usr/sbin/slapd -VV 2>&1 | head -n 1)"
