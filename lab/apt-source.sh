#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lab/apt-source.sh - `apt-get source` that leaves the system's apt setup alone.
#
#   lab/apt-source.sh APTDIR DESTDIR PKG[=VERSION]
#
# Unpacks the Debian source of PKG (VERSION, default the newest the archive
# has) as the only directory in DESTDIR, which it empties first, and prints
# that directory's path on stdout.
#
# apt needs deb-src entries, and the host may have none. So apt runs with a
# private sources list (deb-src for every repository apt already uses, from
# `apt-get indextargets`) and private lists and cache under APTDIR; the
# index is updated when that list changed, or when it lacks the version
# asked for. If the archive lacks the Debian source package but has the
# upstream tarball (some mirrors carry only part of the pool), the tarball
# is fetched alone and checked against the hash in the Sources index; the
# tree then lacks Debian's patches, and the script says so.
#
# Standalone (fio/fio-source.sh runs it inside build chroots too): needs
# apt, and dpkg-dev (dpkg-source) for the Debian source package.

set -euo pipefail

say() { echo "apt-source: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ $# -eq 3 ] || die "usage: $0 APTDIR DESTDIR PKG[=VERSION]"
mkdir -p "$1/lists/partial" "$1/cache/archives/partial" "$2"
apt=$(cd "$1" && pwd)
dest=$(cd "$2" && pwd)
pkg=${3%%=*}
version=
[ "$pkg" = "$3" ] || version=${3#*=}

opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=-
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)

# versions - every source version of $pkg the private index has.
versions() {
	apt-cache "${opts[@]}" showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p'
}

# deb-src for every (repository, suite) apt knows, main component.
# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
	awk 'NF == 2 && !seen[$0]++ { print "deb-src " $1 " " $2 " main" }' \
		>"$apt/sources.list.new"
[ -s "$apt/sources.list.new" ] || die "apt lists no repositories (run apt-get update)"
if ! cmp -s "$apt/sources.list.new" "$apt/sources.list" || [ ! -e "$apt/lists.stamp" ] ||
	{ [ -n "$version" ] && ! versions | grep -qxF -- "$version"; }; then
	mv "$apt/sources.list.new" "$apt/sources.list"
	rm -f "$apt/lists.stamp"
	say "$pkg: updating the source index ($(wc -l <"$apt/sources.list") deb-src entries)"
	apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		{ tail -n 20 "$apt/update.log" >&2; die "apt-get update (deb-src) failed"; }
	date -u +%FT%TZ >"$apt/lists.stamp"
fi
rm -f "$apt/sources.list.new"
[ -n "$version" ] || version=$(versions | sort -V | tail -n1)
[ -n "$version" ] || die "no source of $pkg in the archive"

rm -rf "$dest"
mkdir -p "$dest"
if command -v dpkg-source >/dev/null &&
	(cd "$dest" && apt-get "${opts[@]}" source "$pkg=$version") >"$apt/source.log" 2>&1; then
	say "$pkg $version: Debian source package unpacked"
else
	command -v dpkg-source >/dev/null ||
		say "no dpkg-source (apt-get install dpkg-dev): trying the upstream tarball"
	[ ! -s "$apt/source.log" ] || tail -n 5 "$apt/source.log" | sed 's/^/    | /' >&2
	# 'URI' NAME SIZE SHA256:HASH, one line per file of the source package
	line=$(apt-get "${opts[@]}" --print-uris source "$pkg=$version" 2>/dev/null |
		grep "^'.*\.orig\.tar\.[a-z0-9]*' " | head -n1) ||
		die "$pkg=$version is not in the source index"
	read -r uri name _ hash <<<"$line"
	uri=${uri//\'/}
	say "$pkg $version: the archive lacks the Debian source package; using $name (no Debian patches)"
	/usr/lib/apt/apt-helper "${opts[@]}" download-file "$uri" "$dest/$name" "$hash" \
		>>"$apt/source.log" 2>&1 ||
		{ tail -n 10 "$apt/source.log" >&2; die "cannot download $uri"; }
	tar -C "$dest" -xf "$dest/$name"
fi
tree=$(find "$dest" -mindepth 1 -maxdepth 1 -type d | head -n1)
[ -n "$tree" ] || die "no source tree unpacked in $dest"
echo "$tree"
