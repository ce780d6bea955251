#!/bin/sh
# lab/deb-install-check.sh - what a user of the Debian packages gets.
#
# Runs as /tmp/check.sh inside a fresh bookworm chroot (lab/deb.sh install)
# holding the packages in /tmp/debs and a test program in /tmp/prog.c.  It
# installs them with apt as a user would, checks that aioring-dkms's
# postinst built and installed the module through DKMS for the chroot's
# kernel headers, that the group, udev rule and modprobe.d file are in
# place, that a program builds against libaioring-dev with pkg-config
# (shared and static) and runs; then purges everything and checks that
# nothing is left (DKMS's prerm removes the module).  One "check: ok" or
# "FAIL:" line per check; the exit status is the number of failures.

set -u
fails=0
ok() { echo "check: ok $*"; }
bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
# expect DESCRIPTION CMD... - one check.
expect() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

# shellcheck disable=SC2016 # dpkg-query's own ${field} syntax
abi=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	grep -o 'linux-headers-[^ ,]*' | head -n1 | sed 's/^linux-headers-//')
triplet=$(gcc -print-multiarch)
echo "kernel headers: $abi; running kernel (not installed here): $(uname -r)"

echo "== apt install"
if ! apt-get install -y /tmp/debs/*.deb; then
	echo "FAIL: apt-get install of the packages"
	exit 1
fi
# shellcheck disable=SC2016
ver=$(dpkg-query -W -f='${Version}' aioring-dkms)

echo "== checks"
dkms status
expect "dkms status: aioring/$ver installed for $abi" \
	sh -c "dkms status -m aioring -v '$ver' -k '$abi' | grep -q ': installed\$'"
ko=$(find "/lib/modules/$abi/updates/dkms" -name 'aioring.ko*' 2>/dev/null | head -n1)
expect "module installed at ${ko:-/lib/modules/$abi/updates/dkms/aioring.ko}" test -n "$ko"
[ -z "$ko" ] || expect "module built for $abi (vermagic)" \
	sh -c "modinfo -F vermagic '$ko' | grep -q '^$abi '"
expect "source in /usr/src/aioring-$ver" test -f "/usr/src/aioring-$ver/dkms.conf"
expect "group aioring exists" getent group aioring
expect "udev rule: /dev/aioring group aioring, mode 0660" \
	grep -q 'GROUP="aioring", MODE="0660"' /lib/udev/rules.d/60-aioring.rules
# shellcheck disable=SC2016
expect "modprobe.d file is a conffile" \
	sh -c 'dpkg-query -W -f="\${Conffiles}" aioring-dkms | grep -q /etc/modprobe.d/aioring.conf'
for p in $(modinfo -p "$ko" 2>/dev/null | cut -d: -f1); do
	expect "modprobe.d file documents parameter $p" grep -qE "^# $p(=| )" /etc/modprobe.d/aioring.conf
done
expect "man pages" test -e /usr/share/man/man3/libaioring.3.gz -a -e /usr/share/man/man7/aioring.7.gz
flags=$(pkg-config --cflags --libs libaioring)
echo "pkg-config --cflags --libs libaioring: $flags"
expect "pkg-config gives -laioring" sh -c "echo '$flags' | grep -q -- -laioring"
# shellcheck disable=SC2086 # flags are words
expect "program builds against libaioring (shared)" \
	cc -Wall -Wextra -Werror -o /tmp/prog /tmp/prog.c $flags
expect "it runs with /usr/lib/$triplet/libaioring.so.1" \
	sh -c "ldd /tmp/prog | grep -q 'libaioring.so.1 => .*/lib/$triplet/libaioring.so.1 '"
expect "it runs and gets -ENOENT without the device" /tmp/prog
# shellcheck disable=SC2046
expect "program builds against libaioring.a (static)" \
	cc -Wall -Wextra -Werror -static -o /tmp/prog-static /tmp/prog.c \
	$(pkg-config --cflags --libs --static libaioring)
expect "the static one runs" /tmp/prog-static
info=$(aioring-info 2>&1)
echo "$info" | sed -n '1,8p'
expect "aioring-info runs and says the module is not loaded" \
	sh -c "echo \"\$1\" | grep -q 'loaded: *no'" sh "$info"
# uname -r here is the host's kernel, not the chroot's: name the module.
minfo=$(aioring-info --module "$ko" 2>&1)
echo "$minfo" | sed -n '/^Module/,/^$/p'
expect "aioring-info --module reads the DKMS module's version" \
	sh -c "echo \"\$1\" | grep -q 'version: *$ver\$'" sh "$minfo"
expect "aioring-info man page" test -e /usr/share/man/man1/aioring-info.1.gz
shim=/usr/lib/$triplet/aioring/libaioring-aio.so
expect "libaio drop-in at $shim exports io_submit@LIBAIO_0.1" \
	sh -c "objdump -T '$shim' | grep -q 'LIBAIO_0.1 *io_submit\$'"
expect "LD_PRELOAD of the drop-in loads" env LD_PRELOAD="$shim" /bin/true

echo "== apt purge"
if apt-get purge -y aioring-dkms libaioring1 libaioring-dev aioring-tools; then
	ok "apt purge"
else
	bad "apt purge"
fi
# shellcheck disable=SC2016 # expanded by that sh
expect "dkms knows no aioring" sh -c '[ -z "$(dkms status -m aioring)" ]'
expect "no /var/lib/dkms/aioring" test ! -e /var/lib/dkms/aioring
expect "no module left" sh -c "! ls /lib/modules/'$abi'/updates/dkms/aioring.ko* 2>/dev/null"
expect "no /usr/src/aioring-$ver" test ! -e "/usr/src/aioring-$ver"
expect "no /etc/modprobe.d/aioring.conf" test ! -e /etc/modprobe.d/aioring.conf
expect "no libaioring left" sh -c "! ls /usr/lib/$triplet/libaioring* 2>/dev/null"
expect "no aioring-info or drop-in left" \
	sh -c "! ls /usr/bin/aioring-info /usr/lib/$triplet/aioring 2>/dev/null"
expect "dpkg knows no aioring package" sh -c '! dpkg -l | grep -q aioring'

echo "$fails failed"
exit "$fails"
