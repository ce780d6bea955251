#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fio/fio-source.sh - fetch and configure the source of the installed fio.
#
#   fio/fio-source.sh DIR [VERSION]
#
# Debian ships no fio headers, and an external fio engine must be compiled
# against the headers and config-host.h of the very fio that loads it. This
# fetches the Debian source of fio VERSION (default: the installed package's
# version) into DIR with `apt-get source`, configured with as few optional
# libraries as fio allows, and prints the source tree's path on stdout.
#
# The source comes from lab/apt-source.sh (next to this script's directory,
# as in the repository and in the lab's build chroots), which leaves the
# system's apt configuration alone: its apt state lives under DIR/apt.
#
# A configured tree is reused (stamp DIR/fio-UPSTREAM.stamp). Needs apt,
# dpkg-dev (dpkg-source) for the Debian source package, a C compiler and make.

set -euo pipefail

APT_SOURCE=$(dirname "${BASH_SOURCE[0]}")/../lab/apt-source.sh

say() { echo "fio-source: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ $# -ge 1 ] || die "usage: $0 DIR [VERSION]"
dir=$1
version=${2:-}
if [ -z "$version" ]; then
	# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
	version=$(dpkg-query -W -f='${Status} ${Version}' fio 2>/dev/null |
		sed -n 's/^install ok installed //p' || true)
	if [ -z "$version" ] && [ "$(id -u)" -eq 0 ]; then
		say "installing fio (and dpkg-dev, for apt-get source)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			fio dpkg-dev >&2 || die "apt-get install fio failed"
		# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
		version=$(dpkg-query -W -f='${Version}' fio)
	fi
	[ -n "$version" ] || die "fio is not installed (apt-get install fio), and no VERSION given"
fi
upstream=${version#*:}
upstream=${upstream%-*}
tree="$dir/fio-$upstream"

if [ -e "$tree.stamp" ] && [ -e "$tree/config-host.h" ]; then
	echo "$tree"
	exit 0
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
tree="$dir/fio-$upstream"
rm -rf "$tree"
src=$(bash "$APT_SOURCE" "$dir/apt" "$dir/src" "fio=$version") || die "cannot fetch fio $version"
[ -e "$src/configure" ] || die "no fio source tree in $dir/src"
mv "$src" "$tree"

# As few optional libraries as possible, but with libaio (the guest's fio
# runs the libaio engine too): configure finds it when libaio-dev is
# installed. configure rejects options it does not know, and the set
# differs between releases, so only those this release lists are passed.
want="native numa rdma rados rbd http gfapi libnfs pmem xnvme isal isal64
	libblkio libzbc tcmalloc dfs tls"
known=$( (cd "$tree" && ./configure --help 2>&1) | grep -o -- '--disable-[a-z0-9-]*' || true)
opts=()
for o in $want; do
	! grep -qx -- "--disable-$o" <<<"$known" || opts+=("--disable-$o")
done
say "fio $version: configuring $tree (${opts[*]})"
(cd "$tree" && ./configure "${opts[@]}") >"$dir/configure-$upstream.log" 2>&1 ||
	{ tail -n 20 "$dir/configure-$upstream.log" >&2; die "fio's configure failed"; }
date -u +%FT%TZ >"$tree.stamp"
echo "$tree"
