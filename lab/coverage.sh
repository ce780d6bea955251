#!/bin/bash
# lab/coverage.sh - `make coverage`: which lines and branches of module/
# the test suite (and the fuzzer, when it is in tests/build) executes.
#
#   lab/coverage.sh          `make check-debug` in coverage mode, then the report
#   lab/coverage.sh report   the report again, from the last run's disk image
#
# It is check-debug (lab/check-debug.sh) with LAB_COVERAGE=1, on the same
# debug kernel: lab/debug-kernel.sh always builds it with CONFIG_GCOV_KERNEL
# (and GCOV_PROFILE_ALL off: nothing of the kernel is instrumented), so
# coverage costs no kernel build of its own and keeps KASAN, lockdep and
# kmemleak watching the run.  What coverage mode changes:
#
#   module      built with plain kbuild, not DKMS, in $LAB_BUILD/<kver>/cov-src
#               with AIORING_GCOV=1 (Kbuild then sets GCOV_PROFILE := y):
#               DKMS would delete its build tree, and with it the .gcno files
#               and the path the kernel names the counters by
#   guest       after the suite (its last test, rmmod-clean, unloads aioring)
#               lab-gcov.sh copies /sys/kernel/debug/gcov/<cov-src>/**.gcda
#               to the test disk (/dev/vda, aioring-gcov/).  The kernel keeps
#               an unloaded module's counts (gcov_persist=1, the default, see
#               Documentation/dev-tools/gcov.rst) and adds a reload's to them,
#               so module_exit and every test that reloads the module count.
#               Result line: gcov-data
#   host        `debugfs -R "rdump /aioring-gcov ..."` reads them out of
#               $LAB_BUILD/<kver>/disk.img (no loop mount: the host may have
#               no modules), then gcov (the host's; it must be the gcc that
#               built the module, which builds on the host) with branch counts:
#               $LAB_BUILD/coverage.txt has lines and branches taken per
#               module/*.c and the total, then the functions with the most
#               lines never run; $LAB_BUILD/coverage/gcov/*.gcov are the
#               annotated sources ("#####": never executed).  Result line:
#               coverage-report
#
# Default LAB_BUILD is $LAB_CACHE/build-coverage, so a coverage run leaves
# check-debug's logs alone.  Sourced by check-debug.sh for its functions.

set -euo pipefail
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	LAB_BUILD=${LAB_BUILD:-${LAB_CACHE:-/var/cache/aioring-lab}/build-coverage}
	export LAB_BUILD
fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LAB_COVERAGE=${LAB_COVERAGE:-0}
# Functions listed in coverage.txt (most lines never executed first).
COVERAGE_FUNCS=${COVERAGE_FUNCS:-40}

# coverage_srcdir KVER - where the instrumented module is built; the guest's
# gcov directory is /sys/kernel/debug/gcov followed by this path.
coverage_srcdir() {
	echo "$LAB_BUILD/$1/cov-src"
}

# coverage_build_module SERIES - build.sh's build_module in coverage mode:
# plain kbuild with AIORING_GCOV=1 in a directory that stays.  Leaves
# $LAB_BUILD/<kver>/aioring.ko and build.log; fails on a warning, as
# build_module does, and when no .gcno came out (no gcov in the kernel).
coverage_build_module() {
	local series=$1 out src rc=0
	# shellcheck disable=SC1090
	. "$LAB_CACHE/kernels/$series.env"
	out="$LAB_BUILD/$KVER"
	src=$(coverage_srcdir "$KVER")
	mkdir -p "$out"
	rm -f "$out/aioring.ko" "$out/build.log"
	log "building module for $KVER with gcov (AIORING_GCOV=1, kbuild in $src)"
	copy_source "$src"
	make -j"$(nproc)" -C "$KHDR" M="$src" AIORING_GCOV=1 modules >"$out/build.log" 2>&1 || rc=$?
	[ ! -e "$src/aioring.ko" ] || cp "$src/aioring.ko" "$out/aioring.ko"
	if [ "$rc" -ne 0 ] || [ ! -e "$out/aioring.ko" ]; then
		log "module build for $KVER FAILED (log: $out/build.log)"
		tail -n 40 "$out/build.log" | sed 's/^/    | /' >&2
		return 1
	fi
	if grep -qi warning "$out/build.log"; then
		log "module build for $KVER printed warnings (log: $out/build.log):"
		grep -i -A3 warning "$out/build.log" | head -n 60 | sed 's/^/    | /' >&2
		return 1
	fi
	if ! ls "$src"/module/*.gcno >/dev/null 2>&1; then
		log "module build for $KVER made no .gcno files: no gcov profiling"
		return 1
	fi
	log "module for $KVER built with gcov ($(find "$src/module" -name "*.gcno" | wc -l) .gcno files)"
}

# coverage_stage_guest DIR KVER - put lab-gcov.sh in the guest's tests
# directory DIR; check-debug's wrapper runs it after the suite.
coverage_stage_guest() {
	local dir=$1 kver=$2
	install -m 0755 /dev/stdin "$dir/lab-gcov.sh" <<-'EOF'
		#!/bin/sh
		# lab-gcov.sh GCOVPATH - after the suite (aioring unloaded: the
		# kernel keeps a module's counts past rmmod, gcov_persist=1),
		# copy the module's .gcda files from debugfs to the test disk,
		# /dev/vda:/aioring-gcov/ with their relative paths, for the host
		# (lab/coverage.sh).  One result line: gcov-data.
		G=/sys/kernel/debug/gcov
		[ -d $G ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
		src=$G$1
		dest=/mnt/test/aioring-gcov
		echo "AIORING-TEST: START gcov-data"
		if [ ! -d "$src" ]; then
			echo "gcov-data: no $src (kernel without CONFIG_GCOV_KERNEL, or module not instrumented)"
			echo "AIORING-TEST: FAIL gcov-data (none)"
			exit 1
		fi
		if [ -d /sys/module/aioring ]; then
			echo "gcov-data: aioring is still loaded (rmmod-clean failed?): counts so far"
		fi
		rm -rf "$dest"
		n=0
		bad=0
		cd "$src" || exit 1
		for f in $(find . -name '*.gcda' | sort); do
			mkdir -p "$dest/${f%/*}"
			if cat "$f" >"$dest/$f"; then
				n=$((n + 1))
			else
				echo "gcov-data: cannot copy $f"
				bad=1
			fi
		done
		cd / && sync
		echo "gcov-data: $n .gcda file(s) of $1 copied to /dev/vda:/aioring-gcov"
		if [ "$n" -eq 0 ] || [ "$bad" -ne 0 ]; then
			echo "AIORING-TEST: FAIL gcov-data"
			exit 1
		fi
		echo "AIORING-TEST: PASS gcov-data"
	EOF
	# The argument the wrapper passes: the module's build directory.
	coverage_srcdir "$kver"
}

# coverage_report KVER - extract the .gcda files from the guest's disk, run
# gcov, write $LAB_BUILD/coverage.txt and print it.  Nonzero if there was
# no data to report.
coverage_report() {
	local kver=$1 out src cov disk f gcc_ver gcov_ver console fuzz tests
	out="$LAB_BUILD/$kver"
	src=$(coverage_srcdir "$kver")
	cov="$LAB_BUILD/coverage"
	disk="$out/disk.img"
	console="$out/console-check.log"
	[ -e "$disk" ] || { log "coverage: no disk image $disk"; return 1; }
	ls "$src"/module/*.gcno >/dev/null 2>&1 || { log "coverage: no .gcno files in $src/module"; return 1; }
	rm -rf "$cov"
	mkdir -p "$cov/obj" "$cov/gcov"
	if ! run_logged "$cov/debugfs.log" debugfs -R "rdump /aioring-gcov $cov" "$disk" ||
		[ ! -d "$cov/aioring-gcov/module" ]; then
		log "coverage: no aioring-gcov/module on $disk (did the guest's gcov-data step run?)"
		return 1
	fi
	# gcov reads NAME.gcno and NAME.gcda from one object directory.
	cp "$src"/module/*.gcno "$cov/obj/"
	cp "$cov"/aioring-gcov/module/*.gcda "$cov/obj/"
	# The counts' format is the compiler's: gcov must be the gcc that
	# built the module (kbuild on the host, with the host's gcc).
	gcc_ver=$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)
	gcov_ver=$(gcov --version | sed -n '1s/.* \([0-9][0-9.]*\)$/\1/p')
	[ "$gcc_ver" = "$gcov_ver" ] || log "coverage: WARNING: gcov $gcov_ver, gcc $gcc_ver"
	(
		cd "$cov/gcov"
		for f in "$src"/module/*.c; do
			echo "== $(basename "$f")"
			gcov -b -c -o "$cov/obj" "$f" 2>&1
		done
	) >"$cov/gcov.log"
	tests=$(tr -d '\r' <"$console" 2>/dev/null | grep -acE 'AIORING-TEST: (PASS|FAIL|SKIP) ' || true)
	if tr -d '\r' <"$console" 2>/dev/null | grep -aqE 'AIORING-TEST: START [^ ]*fuzz'; then
		fuzz="included ($(tr -d '\r' <"$console" | sed -n 's/.*AIORING-TEST: START \([^ ]*fuzz[^ ]*\).*/\1/p' | sort -u | tr '\n' ' '| sed 's/ $//'))"
	else
		fuzz="not included (no fuzz test in the guest's /tests)"
	fi
	{
		echo "aioring coverage of module/ on $kver"
		echo "run: $(date -u -r "$disk" +%FT%TZ), $tests test results on the console, fuzzer $fuzz"
		echo "gcov $gcov_ver (-b -c); lines: executed / executable; branches: taken at least once / all"
		echo
		coverage_table "$cov/gcov.log" "$src/module"
		echo
		echo "functions with lines never executed (most first; annotated sources: $cov/gcov/*.gcov)"
		echo
		coverage_functions "$cov/gcov" | head -n "$COVERAGE_FUNCS"
	} >"$LAB_BUILD/coverage.txt"
	log "coverage report: $LAB_BUILD/coverage.txt"
	cat "$LAB_BUILD/coverage.txt"
}

# coverage_table GCOVLOG SRCDIR - the per-file table from gcov's summaries
# (only the blocks of module/*.c themselves, not the headers they include).
coverage_table() {
	awk -v dir="$2/" '
		function cnt(pct, n) { return int(pct * n / 100 + 0.5) }
		function pc(a, b) { return b ? sprintf("%.1f%%", 100 * a / b) : "-" }
		/^File / {
			f = $0; sub(/^File \047/, "", f); sub(/\047$/, "", f)
			cur = (index(f, dir) == 1 && f ~ /\.c$/) ? substr(f, length(dir) + 1) : ""
			if (cur != "" && !(cur in seen)) { seen[cur] = 1; order[++nf] = cur }
			next
		}
		cur == "" { next }
		/^Lines executed:/ {
			split($0, a, /[:% ]+/); ln[cur] = a[5]; lx[cur] = cnt(a[3], a[5])
		}
		/^No executable lines/ { ln[cur] = 0; lx[cur] = 0 }
		/^Taken at least once:/ {
			split($0, a, /[:% ]+/); bn[cur] = a[7]; bx[cur] = cnt(a[5], a[7])
		}
		/^No branches/ { bn[cur] = 0; bx[cur] = 0 }
		END {
			printf "%-20s %11s %7s %11s %7s\n", "file", "lines", "", "branches", ""
			for (i = 1; i <= nf; i++) {
				c = order[i]
				printf "%-20s %11s %7s %11s %7s\n", "module/" c, lx[c] "/" ln[c], pc(lx[c], ln[c]),
					bx[c] "/" bn[c], pc(bx[c], bn[c])
				tl += ln[c]; tx += lx[c]; tb += bn[c]; tbx += bx[c]
			}
			printf "%-20s %11s %7s %11s %7s\n", "total", tx "/" tl, pc(tx, tl), tbx "/" tb, pc(tbx, tb)
		}' "$1"
}

# coverage_functions GCOVDIR - "unexecuted/lines file:function (called N)"
# for every function of module/*.c with a line never executed, from the
# annotated sources (.gcov files of the .c files only).
coverage_functions() {
	local f
	for f in "$1"/*.c.gcov; do
		[ -e "$f" ] || continue
		awk -v file="$(basename "$f" .gcov)" '
			function flush() {
				if (fn != "" && miss > 0)
					printf "%4d/%-4d never run  %s:%s (line %d, called %s)\n", miss, lines, file, fn, at, called
				fn = ""; miss = 0; lines = 0
			}
			/^function / { flush(); fn = $2; called = $4; at = 0; next }
			/^(branch|call) / { next }
			{
				c = $0; sub(/:.*/, "", c); gsub(/[ *]/, "", c)
				n = $0; sub(/^[^:]*:[ ]*/, "", n); sub(/:.*/, "", n)
				if (fn == "" || c == "-" || c == "") next
				if (at == 0) at = n
				lines++
				if (c == "#####" || c == "=====") miss++
			}
			END { flush() }' "$f"
	done | sort -t/ -k1,1nr -s
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	"")
		export LAB_COVERAGE=1
		exec bash "$LAB_DIR/check-debug.sh"
		;;
	report)
		[ -e "$LAB_CACHE/kernels/debug.env" ] || die "no debug kernel yet: run lab/coverage.sh"
		coverage_report "$(. "$LAB_CACHE/kernels/debug.env" && echo "$KVER")"
		;;
	*) die "usage: $0 [report]" ;;
	esac
fi
