# shellcheck shell=bash disable=SC2034 # sourced: its variables are used by the scripts that source it
# lab/lib.sh - common helpers for the aioring test lab.
#
# Sourced by the other lab scripts, never run directly.  It holds the
# settings every step shares (cache location, kernel series -> Debian suite
# map), timestamped progress output, a runner that keeps noisy tool output
# in log files and shows their tail on failure, the idempotent apt installer
# for host packages, stamp files that mark a completed step, and the Debian
# mirror addresses read from the host's own apt configuration (the project
# never names a mirror host itself).

# Repository root and the lab directory (this file lives in lab/).
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/.." && pwd)

# What every lab entry point needs on the host; each adds its own.
LAB_HOST_PACKAGES="qemu-system-x86 mmdebstrap busybox-static cpio e2fsprogs xfsprogs kmod
	xz-utils zstd gzip gcc gcc-multilib make libc6-dev linux-headers-amd64 util-linux"

# Everything downloaded or built lives under the cache.  Chroots, kernels and
# apt lists are reused across runs; per-run build products go to $LAB_BUILD.
LAB_CACHE=${LAB_CACHE:-/var/cache/aioring-lab}
LAB_BUILD=${LAB_BUILD:-$LAB_CACHE/build}
KERNELS=${KERNELS:-5.10 6.1 6.12 7.2}
# Kernel flavour: empty for Debian's stock amd64 kernels, "rt" for the
# PREEMPT_RT ones (lab/check-rt.sh).  A kernel is named by a key: the series
# alone ("6.1") is the stock flavour, SERIES-FLAVOUR ("6.1-rt") another; its
# description is $LAB_CACHE/kernels/<key>.env (lab/kernels.sh).
LAB_FLAVOUR=${LAB_FLAVOUR:-}
# Seconds one guest may run before it counts as hung.
LAB_TIMEOUT=${LAB_TIMEOUT:-1200}
# auto: use KVM when a probe guest boots under it (boot.sh accel_choose);
# 0/1 force TCG/KVM.
LAB_KVM=${LAB_KVM:-auto}

LAB_T0=${LAB_T0:-$(date +%s)}
export LAB_T0

# log MSG... - progress line with wall clock and seconds since the run began.
log() {
	printf '[%s +%4ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - LAB_T0 ))" "$*" >&2
}

die() {
	log "ERROR: $*"
	exit 1
}

# run_logged LOGFILE CMD... - run CMD with its output in LOGFILE; on failure
# show the log's tail and return the command's status.
run_logged() {
	local logfile=$1 rc=0
	shift
	mkdir -p "$(dirname "$logfile")"
	"$@" >"$logfile" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		log "command failed ($rc): $* -- last lines of $logfile:"
		tail -n 40 "$logfile" | sed 's/^/    | /' >&2
	fi
	return "$rc"
}

# Stamp files: a step writes its stamp only after it completed, so an
# interrupted step (half-made chroot, partial download) is redone next time.
stamp_ok() { [ -e "$1.stamp" ]; }
stamp_set() { date -u +%FT%TZ >"$1.stamp"; }
stamp_clear() { rm -f "$1.stamp"; }

# pkg_installed PKG - true if dpkg says PKG is installed.
pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt_ensure PKG... - install the packages not installed yet; no apt run
# (and no network) when everything is already there.
apt_ensure() {
	local missing=() p
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	log "installing host packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run_logged "$LAB_CACHE/logs/apt-update.log" apt-get update ||
		die "apt-get update failed"
	run_logged "$LAB_CACHE/logs/apt-install.log" \
		apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed"
}

# Mirror addresses, from the host's apt sources (deb822 or one-line format).
# The security archive is the entry whose suite ends in -security.
_apt_sources() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		# deb822 stanzas -> "URI SUITE" pairs
		awk '
			/^[[:space:]]*$/ { flush(); next }
			/^URIs:/   { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
			/^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
			/^Types:/  { types = $0 }
			function flush(  u, s, nu, ns, i, j) {
				if (types ~ /deb([^-]|$)/ && uris != "") {
					nu = split(uris, u, /[[:space:]]+/)
					ns = split(suites, s, /[[:space:]]+/)
					for (i = 1; i <= nu; i++)
						for (j = 1; j <= ns; j++)
							print u[i], s[j]
				}
				uris = ""; suites = ""; types = ""
			}
			END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$f" ] || continue
		# "deb [options] URI SUITE components" -> "URI SUITE"
		awk '$1 == "deb" { sub(/\[[^]]*\]/, ""); print $2, $3 }' "$f"
	done
}

mirror_main() {
	_apt_sources | awk '$2 !~ /-security$/ && $1 ~ /^(https?|file):/ { print $1; exit }'
}

mirror_security() {
	_apt_sources | awk '$2 ~ /-security$/ && $1 ~ /^(https?|file):/ { print $1; exit }'
}

# kernel_key SERIES - the key of SERIES in the flavour LAB_FLAVOUR ("6.1"
# -> "6.1-rt"); a key that names a flavour already is left as it is.
kernel_key() {
	case "$1" in
	*-*) echo "$1" ;;
	*) echo "$1${LAB_FLAVOUR:+-$LAB_FLAVOUR}" ;;
	esac
}

# key_series KEY, key_flavour KEY - "6.1" and "rt" of "6.1-rt" ("" for a
# stock key).
key_series() { echo "${1%%-*}"; }
key_flavour() {
	case "$1" in
	*-*) echo "${1#*-}" ;;
	esac
}

# flavour_suffix FLAVOUR - what Debian's package names end in for that
# flavour: amd64 (stock) or rt-amd64 (linux-headers-rt-amd64,
# linux-image-6.1.0-57-rt-amd64).
flavour_suffix() { echo "${1:+$1-}amd64"; }

# suite_of SERIES - the Debian suite whose kernel is that series (a key's
# flavour does not matter).
suite_of() {
	case "${1%%-*}" in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	7.2) echo sid ;;
	*) die "unknown kernel series '$1' (known: 5.10 6.1 6.12 7.2)" ;;
	esac
}

# host_suite - the suite the host runs (its kernel headers build on the host).
host_suite() {
	. /etc/os-release
	echo "${VERSION_CODENAME:-bookworm}"
}
