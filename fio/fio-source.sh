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
# apt needs a deb-src entry; the host may have none. So apt runs with a
# private sources list (deb-src for every repository apt already uses, from
# `apt-get indextargets`) and private lists under DIR/apt: the system's apt
# configuration is never touched. If the archive lacks the Debian source
# package but has the upstream tarball (some mirrors carry only part of the
# pool), the tarball is fetched alone and checked against the hash in the
# Sources index; the tree then lacks Debian's patches, which touch only the
# packaging, and the script says so.
#
# A configured tree is reused (stamp DIR/fio-UPSTREAM.stamp). Needs apt,
# dpkg-dev (dpkg-source) for the Debian source package, a C compiler and make.

set -euo pipefail

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
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
dir=$(cd "$dir" && pwd)
tree="$dir/fio-$upstream"

# deb-src for every (repository, suite) apt knows, main component.
# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
	awk 'NF == 2 && !seen[$0]++ { print "deb-src " $1 " " $2 " main" }' \
		>"$dir/apt/sources.list"
[ -s "$dir/apt/sources.list" ] || die "apt lists no repositories (run apt-get update)"
apt_opts=(-o "Dir::Etc::sourcelist=$dir/apt/sources.list" -o Dir::Etc::sourceparts=-
	-o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
	-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
say "fio $version: updating the source index ($(wc -l <"$dir/apt/sources.list") deb-src entries)"
apt-get "${apt_opts[@]}" -q update >"$dir/apt/update.log" 2>&1 ||
	{ tail -n 20 "$dir/apt/update.log" >&2; die "apt-get update (deb-src) failed"; }

rm -rf "$tree" "$dir/src"
mkdir -p "$dir/src"
if command -v dpkg-source >/dev/null &&
	(cd "$dir/src" && apt-get "${apt_opts[@]}" -q source "fio=$version") \
		>"$dir/apt/source.log" 2>&1; then
	say "fio $version: Debian source package unpacked"
else
	command -v dpkg-source >/dev/null ||
		say "no dpkg-source (apt-get install dpkg-dev): trying the upstream tarball"
	[ ! -s "$dir/apt/source.log" ] || tail -n 5 "$dir/apt/source.log" | sed 's/^/    | /' >&2
	# 'URI' NAME SIZE SHA256:HASH, one line per file of the source package
	line=$(apt-get "${apt_opts[@]}" -q --print-uris source "fio=$version" 2>/dev/null |
		grep "^'.*\.orig\.tar\.[a-z0-9]*' " | head -n1) ||
		die "fio=$version is not in the source index"
	read -r uri name _ hash <<<"$line"
	uri=${uri//\'/}
	say "fio $version: the archive lacks the Debian source package; using $name (no Debian patches)"
	/usr/lib/apt/apt-helper "${apt_opts[@]}" download-file "$uri" "$dir/src/$name" "$hash" \
		>>"$dir/apt/source.log" 2>&1 ||
		{ tail -n 10 "$dir/apt/source.log" >&2; die "cannot download $uri"; }
	tar -C "$dir/src" -xf "$dir/src/$name"
fi
src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'fio-*' | head -n1)
{ [ -n "$src" ] && [ -e "$src/configure" ]; } || die "no fio source tree in $dir/src"
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
