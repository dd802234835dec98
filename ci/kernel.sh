#!/usr/bin/env bash
# Cross-build an L1 kernel (vmlinux) with the lean config, ccache, out of tree.
#
#   ci/kernel.sh ours   Debian 6.1 + our series     -> build/kernels/ours/vmlinux
#   ci/kernel.sh ref    Debian 6.12, no patches     -> build/kernels/ref/vmlinux
#   ci/kernel.sh modular  Debian 6.1 + our series, KVM as modules (l1-modular.config)
#                       -> build/kernels/modular/{vmlinux,modroot/lib/modules/*}
#   ci/kernel.sh build SRC OBJ [FRAGMENT...]         build SRC in OBJ (used by ci/lint.sh)
#
# Config: `make allnoconfig KCONFIG_ALLCONFIG=<fragments>`; the 6.1 tree also
# gets ci/configs/kunit.config (KUnit + our suites built in).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CONFIGS=$TOP/ci/configs
KMAKE=(make -s ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" CC="ccache ${CROSS_COMPILE}gcc"
	KBUILD_BUILD_VERSION=1)

# build SRC OBJ FRAGMENT...: configure (always: patches may add Kconfig
# symbols) and build vmlinux.  Logs to OBJ/build.log.
build() {
	local src=$1 obj=$2 frag
	shift 2
	mkdir -p "$obj"
	frag=$obj/fragment.config
	cat "$@" >"$frag.new"
	mv "$frag.new" "$frag"
	{
		"${KMAKE[@]}" -C "$src" O="$obj" allnoconfig KCONFIG_ALLCONFIG="$frag" &&
			check_config "$obj/.config" "$frag" &&
			nice -n 5 "${KMAKE[@]}" -C "$src" O="$obj" -j"$JOBS" ${KTARGETS:-vmlinux}
	} >"$obj/build.log" 2>&1 || {
		tail -n 40 "$obj/build.log" >&2
		die "kernel build failed in $src (log: $obj/build.log)"
	}
	# Warnings are errors for us: the lean config must build clean (and
	# modpost's "undefined!" / "missing MODULE_LICENSE" are warnings too).
	if grep -E '(warning|error|WARNING|ERROR):' "$obj/build.log" | grep -v 'ccache' >&2; then
		die "kernel build printed warnings (log: $obj/build.log)"
	fi
}

# Every =y in the fragment must survive into .config (a silently dropped
# dependency would otherwise give us a kernel without KVM).
check_config() { # .config fragment
	local missing
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$2" | while read -r l; do
		grep -qx "$l" "$1" || echo "${l%%=*}"
	done)
	# Symbols a tree does not know (yet) are not an error: a bisect step
	# before the patch that adds them.
	local real=
	for s in $missing; do
		grep -q "^# $s is not set" "$1" && real="$real $s"
	done
	[ -z "$real" ] || { echo "config: requested but not set:$real" >&2; return 1; }
}

install_kernel() { # obj flavour
	local dest=$BUILD/kernels/$2
	mkdir -p "$dest"
	# Only a changed kernel is copied: an unchanged one keeps its mtime,
	# so later steps (and ci/steps.py's "cached") see that nothing changed.
	if ! cmp -s "$1/vmlinux" "$dest/vmlinux"; then
		cp "$1/vmlinux" "$dest/vmlinux.new"
		mv "$dest/vmlinux.new" "$dest/vmlinux"
	fi
	cmp -s "$1/.config" "$dest/config" || cp "$1/.config" "$dest/config"
	git -C "$3" describe --always --tags >"$dest/source.new" 2>/dev/null || true
	if cmp -s "$dest/source.new" "$dest/source"; then rm -f "$dest/source.new"; else mv "$dest/source.new" "$dest/source"; fi
	say "$2: $(du -h "$dest/vmlinux" | cut -f1) $dest/vmlinux"
}

# built_from SRC FRAGMENT...: "TREE-FRAGSUM" of a clean git tree, the key
# under which ci/lint.sh and this script record what a kernel was built
# from (build/kernels/FLAVOUR/tree); empty when the tree has local changes.
built_from() {
	local src=$1 tree
	shift
	[ -z "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ] || return 0
	tree=$(git -C "$src" rev-parse -q --verify 'HEAD^{tree}' 2>/dev/null) || return 0
	echo "$tree-$(cat "$@" | sha256sum | cut -c1-16)"
}

# The kernels this script built, kept across checkouts (a new clone of the
# repo rebuilds nothing that an earlier one built from the same tree, config,
# build script and compiler): ~/.cache/nestedv2/kernels/FLAVOUR-KEY/.
# KERNEL_CACHE=0 turns it off (ci/kernel-deb.sh needs the object tree).
KCACHE=$CACHE/kernels
KERNEL_CACHE=${KERNEL_CACHE:-1}
kcache_key() { # key -> key + what else decides the result
	echo "$1-$({ cat "$TOP/ci/kernel.sh"; "${CROSS_COMPILE}gcc" --version | head -n 1; } |
		sha256sum | cut -c1-12)"
}

# flavour FLAVOUR SRC OBJ FRAGMENT...: build and install unless the kernel
# in build/kernels/FLAVOUR was built from exactly this tree and config, or
# ~/.cache/nestedv2/kernels holds one that was.  Returns 3 when the kernel
# came from that cache (no object tree was built).
flavour() {
	local fl=$1 src=$2 obj=$3 key ck dest=$BUILD/kernels/$1
	shift 3
	key=$(built_from "$src" "$@")
	FLAVOUR_BUILT=0
	if [ -n "$key" ] && [ -f "$dest/vmlinux" ] &&
		[ "$(cat "$dest/tree" 2>/dev/null)" = "$key" ] &&
		{ [ "$KERNEL_CACHE" != 0 ] || [ -f "$obj/vmlinux" ]; }; then
		ck=$KCACHE/$fl-$(kcache_key "$key")
		[ "$KERNEL_CACHE" = 0 ] || [ "${KCACHE_DEFER:-0}" = 1 ] || [ -f "$ck/tree" ] ||
			kcache_store "$fl" "$ck"
		say "$fl: up to date ($dest/vmlinux)"
		return 0
	fi
	ck=
	[ -z "$key" ] || [ "$KERNEL_CACHE" = 0 ] || ck=$KCACHE/$fl-$(kcache_key "$key")
	if [ -n "$ck" ] && [ -f "$ck/vmlinux" ] && [ -f "$ck/tree" ]; then
		rm -rf "$dest"
		mkdir -p "$BUILD/kernels"
		cp -a "$ck" "$dest.new"
		mv "$dest.new" "$dest"
		say "$fl: from the kernel cache ($ck, built $(date -r "$ck/tree" '+%F %T'))"
		return 3
	fi
	build "$src" "$obj" "$@"
	FLAVOUR_BUILT=1
	install_kernel "$obj" "$fl" "$src"
	if [ -n "$key" ]; then echo "$key" >"$dest/tree"; fi
	[ "${KCACHE_DEFER:-0}" = 1 ] || kcache_store "$fl" "$ck"
}

# kcache_store FLAVOUR DIR: keep build/kernels/FLAVOUR in the kernel cache
# (DIR empty: nothing to key it by).  Older entries of the flavour go.
kcache_store() {
	local fl=$1 ck=$2
	[ -n "$ck" ] || return 0
	mkdir -p "$KCACHE"
	rm -rf "$ck.new" "$KCACHE/$fl-"*
	cp -a "$BUILD/kernels/$fl" "$ck.new"
	mv "$ck.new" "$ck"
}

# merged LEAN OVERRIDE: the lean fragment without the symbols OVERRIDE sets,
# then OVERRIDE (kconfig warns about a symbol set twice).
merged() {
	local syms
	syms=$(grep -oE '^(# )?CONFIG_[A-Z0-9_]+' "$2" | sed 's/^# //' | sort -u | paste -sd'|')
	grep -vE "^(# )?($syms)[= ]" "$1"
	cat "$2"
}

# install_modules OBJ: install the modules (stripped, depmod run) into
# build/kernels/modular/modroot, the initramfs overlay of the modular L1.
install_modules() {
	local obj=$1 root=$BUILD/kernels/modular/modroot
	rm -rf "$root.new"
	"${KMAKE[@]}" -C "$obj" INSTALL_MOD_PATH="$root.new" INSTALL_MOD_STRIP=1 \
		DEPMOD=/sbin/depmod modules_install >"$obj/modules_install.log" 2>&1 ||
		die "modules_install failed (log: $obj/modules_install.log)"
	find "$root.new" -name build -type l -delete
	rm -rf "$root"
	mv "$root.new" "$root"
	say "modular: $(find "$root" -name '*.ko' | wc -l) modules in $root"
}

case ${1:-} in
modular)
	"$TOP/ci/sources.sh" ours
	mkdir -p "$BUILD/obj/linux-6.1-modular"
	merged "$CONFIGS/l1-lean.config" "$CONFIGS/l1-modular.config" \
		>"$BUILD/obj/linux-6.1-modular/l1-modular.merged"
	rc=0
	KCACHE_DEFER=1 KTARGETS="vmlinux modules" flavour modular "$BUILD/src/linux-6.1" \
		"$BUILD/obj/linux-6.1-modular" "$BUILD/obj/linux-6.1-modular/l1-modular.merged" || rc=$?
	case $rc in
	3) ;; # modroot came with the cached kernel
	0)
		if [ "$FLAVOUR_BUILT" = 1 ] || [ ! -d "$BUILD/kernels/modular/modroot" ]; then
			install_modules "$BUILD/obj/linux-6.1-modular"
		fi
		key=$(built_from "$BUILD/src/linux-6.1" "$BUILD/obj/linux-6.1-modular/l1-modular.merged")
		ck=$KCACHE/modular-$(kcache_key "$key")
		[ -z "$key" ] || [ "$KERNEL_CACHE" = 0 ] || [ -f "$ck/tree" ] || kcache_store modular "$ck"
		;;
	*) exit "$rc" ;;
	esac
	;;
ours)
	"$TOP/ci/sources.sh" ours
	flavour ours "$BUILD/src/linux-6.1" "$BUILD/obj/linux-6.1" \
		"$CONFIGS/l1-lean.config" "$CONFIGS/kunit.config" || [ $? = 3 ]
	;;
ref)
	"$TOP/ci/sources.sh" ref
	flavour ref "$BUILD/src/linux-6.12" "$BUILD/obj/linux-6.12" "$CONFIGS/l1-lean.config" || [ $? = 3 ]
	;;
build)
	shift
	build "$@"
	;;
install)
	shift
	install_kernel "$@"
	;;
*)
	die "usage: $0 ours|ref|modular|build SRC OBJ FRAGMENT...|install OBJ FLAVOUR SRC"
	;;
esac
