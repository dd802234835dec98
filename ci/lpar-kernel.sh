#!/usr/bin/env bash
# The interim LPAR kernel (issue 13): Debian 6.1 + our series with
# ci/configs/l1-lean.config overlaid by ci/configs/lpar-interim.config
# (modules, network, netfilter, the spapr-vscsi disk, what systemd needs).
#
#   ci/lpar-kernel.sh     -> build/kernels/lpar/{vmlinux,config,modules.tar,tree}
#
# Rebuilt only when the source tree (git tree id) or the fragments change.
# The modules are installed (stripped) into build/kernels/lpar/modules.tar,
# which ci/lpar-image.sh unpacks into the image's /lib/modules.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CONFIGS=$TOP/ci/configs
SRC=$BUILD/src/linux-6.1
OBJ=$BUILD/obj/linux-6.1-lpar
DEST=$BUILD/kernels/lpar
KMAKE=(make -s ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" CC="ccache ${CROSS_COMPILE}gcc"
	KBUILD_BUILD_VERSION=1)
t0=$SECONDS

"$TOP/ci/sources.sh" ours

# The fragment: the lean one without the symbols the interim one sets
# (kconfig warns when a fragment assigns a symbol twice), then the interim.
mkdir -p "$OBJ" "$DEST"
frag=$OBJ/lpar-fragment.config
syms=$(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1/p' "$CONFIGS/lpar-interim.config" | sort -u)
{
	grep -v -F -w -f <(printf '%s\n' $syms) "$CONFIGS/l1-lean.config"
	cat "$CONFIGS/lpar-interim.config"
} >"$frag.new"
mv "$frag.new" "$frag"

key=
if [ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ]; then
	key="$(git -C "$SRC" rev-parse 'HEAD^{tree}')-$(cat "$frag" "$0" | sha256sum | cut -c1-16)"
fi
ck=
[ -z "$key" ] || ck=$CACHE/kernels/lpar-$key-$("${CROSS_COMPILE}gcc" --version | head -n 1 | sha256sum | cut -c1-12)
if [ -n "$key" ] && [ -f "$DEST/modules.tar" ] && [ -f "$DEST/vmlinux" ] &&
	[ "$(cat "$DEST/tree" 2>/dev/null)" = "$key" ]; then
	if [ ! -f "$ck/tree" ]; then
		mkdir -p "$CACHE/kernels"
		rm -rf "$CACHE/kernels/lpar-"*
		cp -a "$DEST" "$ck.new" && mv "$ck.new" "$ck"
	fi
	say "lpar kernel up to date ($DEST/vmlinux, $(du -h "$DEST/modules.tar" | cut -f1) modules)"
	exit 0
fi
# Kept across checkouts as ci/kernel.sh keeps its kernels (same key plus the
# compiler): ~/.cache/nestedv2/kernels/lpar-KEY.
if [ -n "$ck" ] && [ -f "$ck/tree" ]; then
	rm -rf "$DEST" && cp -a "$ck" "$DEST.new" && mv "$DEST.new" "$DEST"
	say "lpar kernel from the kernel cache ($ck, built $(date -r "$ck/tree" '+%F %T'))"
	exit 0
fi

say "building the interim LPAR kernel in $OBJ (vmlinux, then modules)"
# ci/kernel.sh build: allnoconfig with the fragment, every =y checked, vmlinux
# built with warnings as errors.
# kernel.sh checks the =y that kconfig turned off; a symbol whose menu is
# off is missing altogether: every =y and =m of ours must be there (checked
# on the configuration before anything is compiled).
"${KMAKE[@]}" -C "$SRC" O="$OBJ" allnoconfig KCONFIG_ALLCONFIG="$frag" >"$OBJ/config.log" 2>&1 ||
	{ cat "$OBJ/config.log" >&2; die "kernel configuration failed"; }
missing=$(grep -E '^CONFIG_[A-Za-z0-9_]+=[ym]$' "$CONFIGS/lpar-interim.config" |
	grep -vxF -f "$OBJ/.config" || true)
[ -z "$missing" ] || die "lpar-interim.config: not in the kernel's .config (a dependency missing?): $(echo $missing)"
"$TOP/ci/kernel.sh" build "$SRC" "$OBJ" "$frag"
say "vmlinux built ($((SECONDS - t0))s); modules"
{
	nice -n 5 "${KMAKE[@]}" -C "$SRC" O="$OBJ" -j"$JOBS" modules &&
		rm -rf "$OBJ/modinst" &&
		"${KMAKE[@]}" -C "$SRC" O="$OBJ" INSTALL_MOD_PATH="$OBJ/modinst" INSTALL_MOD_STRIP=1 \
			DEPMOD=/sbin/depmod modules_install
} >"$OBJ/modules.log" 2>&1 || {
	tail -n 40 "$OBJ/modules.log" >&2
	die "module build failed (log: $OBJ/modules.log)"
}
if grep -E '(warning|error):' "$OBJ/modules.log" >&2; then
	die "module build printed warnings (log: $OBJ/modules.log)"
fi
kver=$(cat "$OBJ/include/config/kernel.release")
# The tar is reproducible (sorted, fixed owner and times) so that the image
# key (ci/lpar-image.sh) changes only when a module does.
rm -f "$OBJ/modinst/lib/modules/$kver/build" "$OBJ/modinst/lib/modules/$kver/source"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1767225600 \
	-C "$OBJ/modinst" -cf "$DEST/modules.tar.new" lib
mv "$DEST/modules.tar.new" "$DEST/modules.tar"
cp "$OBJ/vmlinux" "$DEST/vmlinux.new" && mv "$DEST/vmlinux.new" "$DEST/vmlinux"
cp "$OBJ/.config" "$DEST/config"
echo "$kver" >"$DEST/release"
[ -z "$key" ] || echo "$key" >"$DEST/tree"
say "lpar kernel $kver: $(du -h "$DEST/vmlinux" | cut -f1) vmlinux, $(tar -tf "$DEST/modules.tar" | grep -c '\.ko$') modules, $((SECONDS - t0))s"
if [ -n "$ck" ]; then
	mkdir -p "$CACHE/kernels"
	rm -rf "$ck.new" "$CACHE/kernels/lpar-"*
	cp -a "$DEST" "$ck.new" && mv "$ck.new" "$ck"
fi
