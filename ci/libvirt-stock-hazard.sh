#!/usr/bin/env bash
# What Debian 12's stock libvirt 9.0 (without libvirt-patches) does with a
# domain that uses our <features><nested-papr/>, and with the spelling
# tools/nested-papr-compat writes.  Not part of `make check` (it downloads
# Debian's amd64 libvirt packages and needs root for a private mount
# namespace); docs/libvirt.md, "Upgrades and downgrades".
#
#   ci/libvirt-stock-hazard.sh     (make libvirt-stock-hazard)
#
# Stock libvirt runs unpacked (dpkg -x, no installation) as the embedded QEMU
# driver of its virsh (qemu:///embed?root=...), as an unprivileged user, with
# /usr/share/libvirt/cpu_map taken from the "base" tag of
# build/src/libvirt-9.0 (Debian's tree without the series) in a private mount
# namespace.  Results: build/results/libvirt/stock-hazard.{log,facts}.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RES=${RESULTS:-$BUILD/results}/libvirt
W=$BUILD/stock-libvirt
SRC=$BUILD/src/libvirt-9.0
DEBS="libvirt-clients libvirt-daemon-driver-qemu libvirt0"
COMPAT=$TOP/tools/nested-papr-compat
DOM=$TOP/tests/libvirt/data/nested-papr-on.xml
NOBODY=65534

[ "$(id -u)" = 0 ] || die "needs root (unshare -m for a private /usr/share, setpriv)"
[ -d "$SRC/.git" ] || die "$SRC missing: run 'make libvirt-prepare' first"
[ -x /usr/bin/qemu-system-ppc64 ] || die "/usr/bin/qemu-system-ppc64 missing: run 'make deps'"

mkdir -p "$RES" "$W/debs"
rm -rf "${W:?}/root" "${W:?}/share" "${W:?}/emb" "${W:?}/home" "${W:?}/xml"
(
	cd "$W/debs"
	for p in $DEBS; do
		ls "${p}_${LIBVIRT_SRC_VERSION}_amd64.deb" >/dev/null 2>&1 ||
			apt-get download -q "$p=$LIBVIRT_SRC_VERSION" >/dev/null 2>&1 ||
			die "apt-get download $p=$LIBVIRT_SRC_VERSION failed"
	done
	# libvirt0's one library dependency a build host lacks
	ls libssh-4_*_amd64.deb >/dev/null 2>&1 || apt-get download -q libssh-4 >/dev/null 2>&1 ||
		die "apt-get download libssh-4 failed"
)
for d in "$W"/debs/*.deb; do dpkg -x "$d" "$W/root"; done

# /usr/share as it is, plus libvirt's cpu_map of the base tree
mkdir -p "$W/share/libvirt" "$W/xml"
for e in /usr/share/*; do ln -sfn "$e" "$W/share/"; done
git -C "$SRC" archive base src/cpu_map | tar -x -C "$W/xml"
mv "$W/xml/src/cpu_map" "$W/share/libvirt/cpu_map"
mkdir -p "$W/emb/etc" "$W/home"
printf 'cgroup_controllers = [ ]\nnamespaces = [ ]\nstdio_handler = "file"\n' >"$W/emb/etc/qemu.conf"

"$COMPAT" "$DOM" >"$W/xml/compat.xml"
sed -e 's/nestedv2-nested-papr-on/stock-plain/' -e '/nested-papr/d' \
	-e '/<features>/d' -e '/<\/features>/d' "$DOM" >"$W/xml/plain.xml"
chown -R "$NOBODY:$NOBODY" "$W/emb" "$W/home" "$W/xml"
chmod -R a+rX "$W"

L=$RES/stock-hazard.log
F=$RES/stock-hazard.facts
: >"$L"
: >"$F"
R=$W/root
sv() { # stock virsh ARGS...; prints stdout+stderr, returns its status
	unshare -m sh -c 'mount --bind "$0" /usr/share && shift 0 && exec "$@"' "$W/share" \
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		env -i PATH=/usr/bin:/bin HOME="$W/home" \
		LD_LIBRARY_PATH="$R/usr/lib/x86_64-linux-gnu" \
		LIBVIRT_DRIVER_DIR="$R/usr/lib/x86_64-linux-gnu/libvirt/connection-driver" \
		timeout 120 "$R/usr/bin/virsh" -c "qemu:///embed?root=$W/emb" "$@" 2>&1
}
run() { # name virsh-args...
	local name=$1 rc=0 out
	shift
	out=$(sv "$@") || rc=$?
	printf '$ virsh %s\n%s\n(exit %s)\n\n' "$*" "$out" "$rc" >>"$L"
	printf '%s_rc=%s\n' "$name" "$rc" >>"$F"
	printf '%s' "$out"
}

# (virsh version also asks the hypervisor's version, which fails without a
# default x86_64 emulator; it still names the library)
out=$(sv version || true)
printf '$ virsh version\n%s\n\n' "$out" >>"$L"
version="$(sed -n 's/^Using library: libvirt //p' <<<"$out") ($(dpkg-deb -f "$W/debs/libvirt0_${LIBVIRT_SRC_VERSION}_amd64.deb" Version))"
echo "stock_version=$version" >>"$F"
run define_plain define "$W/xml/plain.xml" >/dev/null
out=$(run define_nested_papr define "$DOM")
grep -q "unexpected feature 'nested-papr'" <<<"$out" && echo "define_nested_papr_error=unexpected feature 'nested-papr'" >>"$F"

# What our libvirt leaves on disk: the stock-saved plain domain with the
# element added (same formatting as a saved definition).
python3 - "$W/emb/etc/qemu/stock-plain.xml" "$W/emb/etc/qemu/papr.xml" <<'EOF'
import re, sys, uuid
s = open(sys.argv[1]).read().replace("<name>stock-plain</name>", "<name>papr</name>")
s = re.sub(r"<uuid>[^<]*</uuid>", "<uuid>%s</uuid>" % uuid.uuid4(), s)
s = s.replace("</os>", "</os>\n  <features>\n    <nested-papr state='on'/>\n  </features>")
open(sys.argv[2], "w").write(s)
EOF
chown "$NOBODY:$NOBODY" "$W/emb/etc/qemu/papr.xml"
out=$(run list_with_saved list --all --name)
grep -qx papr <<<"$out" && echo "saved_domain_listed=yes" >>"$F" || echo "saved_domain_listed=no" >>"$F"
grep -q "Failed to load config for domain 'papr'" <<<"$out" && echo "saved_domain_load_error=yes" >>"$F"
[ -f "$W/emb/etc/qemu/papr.xml" ] && echo "saved_file_kept=yes" >>"$F"

run define_compat define "$W/xml/compat.xml" >/dev/null
out=$(run native_compat domxml-to-native qemu-argv --domain nestedv2-nested-papr-on)
grep -q -- "-machine cap-nested-papr=on" <<<"$out" && echo "compat_cap_nested_papr_on=yes" >>"$F"
out=$(run list_compat list --all --name)
grep -qx nestedv2-nested-papr-on <<<"$out" && echo "compat_listed=yes" >>"$F"

say "stock libvirt $version: $(tr '\n' ' ' <"$F")"
say "log: $L"
