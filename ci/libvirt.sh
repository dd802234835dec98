#!/usr/bin/env bash
# libvirt 9.0 (Debian 12) with the nestedv2 patch series.
#
#   ci/libvirt.sh fetch      download the pinned source package into the cache
#   ci/libvirt.sh prepare    build/src/libvirt-9.0: Debian's source (with
#                            Debian's patches) as a git tree tagged "base",
#                            plus libvirt-patches/libvirt-9.0/series (git am)
#   ci/libvirt.sh quilt      apply the series with quilt to a pristine copy of
#                            "base" and check the tree equals the git am one
#   ci/libvirt.sh build      minimal meson configure + ninja in
#                            build/obj/libvirt-9.0 (ccache)
#   ci/libvirt.sh test       run libvirt's suites, write build/results/libvirt
#   ci/libvirt.sh each       build and test every prefix of the series
#                            (build/results/libvirt/each/<n>; not in `make check`)
#   ci/libvirt.sh all        prepare, quilt, build, test
#
# The test step never fails on test failures: it records each suite's exit
# code and log under build/results/libvirt, and tests/libvirt reports them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERIES_DIR=$TOP/libvirt-patches/libvirt-9.0
SRCCACHE=$CACHE/sources
DSC=libvirt_${LIBVIRT_SRC_VERSION#*:}.dsc
SRC=$BUILD/src/libvirt-9.0
QSRC=$BUILD/src/libvirt-9.0-quilt
OBJ=$BUILD/obj/libvirt-9.0
RES=${RESULTS:-$BUILD/results}/libvirt
# The private prefix: only used for the paths compiled into the binaries
# (sysconfdir, localstatedir); nothing is installed there by this script.
PREFIX=$BUILD/inst/libvirt-9.0

# The libvirt suites the series is tested with (whole suites).
SUITES="qemuxml2argvtest qemuxml2xmltest domaincapstest qemucapabilitiestest virhostcputest virhostvalidatetest cputest virschematest"

series_sum() {
	(cd "$SERIES_DIR" && cat series $(series_patches)) | sha256sum | cut -d' ' -f1
}

do_fetch() {
	src_get libvirt "$LIBVIRT_SRC_VERSION" "$LIBVIRT_DSC_SHA256" libvirt-9.0 >/dev/null
}

# Debian's source tree (dpkg-source verifies the tarballs against the .dsc
# and applies debian/patches) as a git tree with one commit tagged "base".
unpack_base() {
	local stamp=$LIBVIRT_DSC_SHA256 tmp=$SRC.tmp
	if [ -f "$SRC/.nestedv2-base" ] && [ "$(cat "$SRC/.nestedv2-base")" = "$stamp" ]; then
		return 0
	fi
	do_fetch
	say "unpacking $DSC into $SRC"
	rm -rf "$SRC" "$tmp"
	mkdir -p "$(dirname "$SRC")"
	dpkg-source -q -x "$SRCCACHE/$DSC" "$tmp" >/dev/null
	git_base_tree "$tmp" "base: libvirt $LIBVIRT_SRC_VERSION (Debian source, Debian patches applied)"
	echo "$stamp" >"$tmp/.nestedv2-base"
	mv "$tmp" "$SRC"
}

do_prepare() {
	local want n p
	unpack_base
	want=$(series_sum)
	if [ -f "$SRC/.nestedv2-series" ] && [ "$(cat "$SRC/.nestedv2-series")" = "$want" ]; then
		say "series already applied in $SRC"
		return 0
	fi
	# Back to base, keeping the mtimes of files the series does not touch
	# (so the ninja build stays incremental).
	git -C "$SRC" am --abort >/dev/null 2>&1 || true
	git -C "$SRC" checkout -q -f -B work base
	git -C "$SRC" clean -qfdx -e .nestedv2-base
	rm -f "$SRC/.nestedv2-series"
	n=0
	for p in $(series_patches); do
		git -C "$SRC" am -q "$SERIES_DIR/$p" || die "git am failed on $p (tree left in $SRC)"
		n=$((n + 1))
	done
	say "applied $n patches with git am in $SRC"
	echo "$want" >"$SRC/.nestedv2-series"
}

do_quilt() {
	local a b
	[ -f "$SRC/.nestedv2-series" ] || do_prepare
	rm -rf "$QSRC"
	mkdir -p "$QSRC"
	git -C "$SRC" archive base | tar -C "$QSRC" -x
	mkdir -p "$QSRC/debian-nestedv2"
	(
		cd "$QSRC"
		export QUILT_PATCHES="$SERIES_DIR" QUILT_PC=.pc-nestedv2
		if [ -n "$(series_patches)" ]; then
			quilt push -a -q --fuzz=0 >/dev/null || die "quilt push failed at $(quilt top 2>/dev/null || echo start)"
		fi
		rm -rf .pc-nestedv2 debian-nestedv2
		git init -q
		git add -A -f .
		git -c user.name=q -c user.email=q@q commit -q -m quilt
	)
	a=$(git -C "$QSRC" rev-parse 'HEAD^{tree}')
	b=$(git -C "$SRC" rev-parse 'HEAD^{tree}')
	[ "$a" = "$b" ] || die "quilt and git am trees differ ($a vs $b; kept $QSRC)"
	rm -rf "$QSRC"
	say "quilt: $(series_patches | wc -l) patches apply with quilt --fuzz=0 and match git am"
}

MESON_OPTS=(
	--buildtype=debugoptimized
	--prefix="$PREFIX"
	-Dsystem=false
	--auto-features=disabled
	-Dtests=enabled
	-Dexpensive_tests=disabled
	-Ddocs=disabled
	-Dgit_werror=disabled
	-Dyajl=enabled
	-Ddriver_qemu=enabled
	-Ddriver_libvirtd=enabled
	-Ddriver_remote=enabled
	-Dqemu_user=root
	-Dqemu_group=root
	-Dinit_script=none
	-Dreadline=disabled
	-Dhost_validate=enabled
)

# A suite the applied prefix of the series does not have yet (make
# libvirt-each: virhostvalidatetest comes with 0006) is not built or run.
have_test() { # name
	grep -q "^build tests/$1: " "$OBJ/build.ninja"
}

build_targets() {
	local s
	for s in $SUITES qemucapsprobe commandhelper ssh; do
		have_test "$s" && echo "tests/$s"
	done
	grep -oE '^build tests/lib[a-z0-9_]+\.so:' "$OBJ/build.ninja" | sed -e 's/^build //' -e 's/:$//'
	echo tools/virsh tools/virt-host-validate src/libvirt_driver_qemu.so
}

do_build() {
	local t0
	[ -f "$SRC/.nestedv2-series" ] || do_prepare
	mkdir -p "$RES"
	if [ ! -f "$OBJ/build.ninja" ]; then
		say "configuring $OBJ"
		mkdir -p "$(dirname "$OBJ")"
		CC="ccache gcc" meson setup "$OBJ" "$SRC" "${MESON_OPTS[@]}" >"$RES/configure.log" 2>&1 ||
			{ tail -20 "$RES/configure.log" >&2; die "meson setup failed (log: $RES/configure.log)"; }
	elif ! grep -q -- '-Dhost_validate=enabled' "$OBJ/build.ninja"; then
		# a build dir configured before virt-host-validate was built
		meson configure "$OBJ" -Dhost_validate=enabled >>"$RES/configure.log" 2>&1 ||
			die "meson configure failed (log: $RES/configure.log)"
	fi
	t0=$(date +%s)
	# regenerate build.ninja first when meson.build files changed, so that
	# build_targets sees this tree's tests
	ninja -C "$OBJ" build.ninja >"$RES/build.log" 2>&1 ||
		{ tail -30 "$RES/build.log" >&2; die "meson regeneration failed (log: $RES/build.log)"; }
	say "building in $OBJ (log: $RES/build.log)"
	# Only what the suites, the probe and virsh need: the test binaries,
	# the mocks and helpers every libvirt test depends on, virsh and the
	# QEMU driver module (for qemu:///embed).  Not the other ~200 tests.
	# shellcheck disable=SC2046
	nice -n 10 ninja -C "$OBJ" -j "$JOBS" $(build_targets) >>"$RES/build.log" 2>&1 ||
		{ tail -30 "$RES/build.log" >&2; die "ninja failed (log: $RES/build.log)"; }
	say "build done in $(($(date +%s) - t0))s"
}

# One suite: exit code, log and the number of OK/FAILED cases it printed.
run_suite() { # name
	local name=$1 rc=0 t0
	t0=$(date +%s)
	if ! have_test "$name"; then
		printf '%s absent (not in this prefix of the series)\n' "$name" | tee -a "$RES/summary.txt" >&2
		return 0
	fi
	VIR_TEST_VERBOSE=1 meson test -C "$OBJ" --no-rebuild --print-errorlogs -t 4 \
		"$name" >"$RES/$name.log" 2>&1 || rc=$?
	# meson keeps the test's own output in its testlog; copy this run's.
	cp "$OBJ/meson-logs/testlog.txt" "$RES/$name.testlog" 2>/dev/null || true
	echo "$rc" >"$RES/$name.rc"
	printf '%s ok=%s failed=%s rc=%s time=%ss\n' "$name" \
		"$(grep -cE '^ *[0-9]+\) .* OK$' "$RES/$name.testlog" || true)" \
		"$(grep -cE '^ *[0-9]+\) .* FAILED$' "$RES/$name.testlog" || true)" \
		"$rc" "$(($(date +%s) - t0))" | tee -a "$RES/summary.txt" >&2
}

do_test() {
	local s
	mkdir -p "$RES"
	: >"$RES/summary.txt"
	for s in $SUITES; do
		run_suite "$s"
	done
	do_syntax_check
}

# libvirt's syntax-check rules (the tree is a git tree, so meson defines
# them).  Debian's source is not upstream's git tree: debian/, the bundled
# keycodemapdb and dist-generated files break a few rules on the base
# already.  So every rule that fails is re-run on a pristine worktree of
# "base": it counts against the series only if it fails there less (its
# output, paths normalised, differs).  syntax-check.rc is the number of
# rules the series breaks; syntax-check.txt says, per failing rule, "new"
# or "also-on-base".
do_syntax_check() {
	local rc=0 rule new=0 wt=$BUILD/src/libvirt-9.0-scbase ours theirs
	meson test -C "$OBJ" --no-rebuild --suite syntax-check -j "$JOBS" \
		>"$RES/syntax-check.log" 2>&1 || rc=$?
	cp "$OBJ/meson-logs/testlog.txt" "$RES/syntax-check.testlog" 2>/dev/null || true
	: >"$RES/syntax-check.txt"
	: >"$RES/syntax-check.new"
	if [ "$rc" != 0 ]; then
		if [ ! -d "$wt" ] || [ "$(git -C "$wt" rev-parse HEAD)" != "$(git -C "$SRC" rev-parse base)" ]; then
			rm -rf "$wt" "$wt.findings"
			git -C "$SRC" worktree prune
			git -C "$SRC" worktree add -q --detach "$wt" base
		fi
		for rule in $(sed -n 's|.*libvirt:syntax-check / \([^ ]*\) .*FAIL.*|\1|p' "$RES/syntax-check.log"); do
			ours=$(make -s -C "$OBJ/build-aux" "sc_$rule" top_srcdir="$SRC" 2>/dev/null |
				sed -e "s|$SRC/||g" -e '/^make/d' | sort) || true
			# base never changes: its findings are computed once
			if [ ! -f "$wt.findings/$rule" ]; then
				mkdir -p "$wt.findings"
				make -s -C "$OBJ/build-aux" "sc_$rule" top_srcdir="$wt" 2>/dev/null |
					sed -e "s|$wt/||g" -e '/^make/d' | sort >"$wt.findings/$rule" || true
			fi
			theirs=$(cat "$wt.findings/$rule")
			if [ "$ours" = "$theirs" ]; then
				echo "$rule also-on-base" >>"$RES/syntax-check.txt"
			else
				echo "$rule new" >>"$RES/syntax-check.txt"
				diff <(echo "$theirs") <(echo "$ours") >>"$RES/syntax-check.new" || true
				new=$((new + 1))
			fi
		done
	fi
	echo "$new" >"$RES/syntax-check.rc"
	say "syntax-check: $(grep -E '^(Ok|Fail):' "$RES/syntax-check.log" | tr -s ' \n' ' '); broken by the series: $new"
}

# Every prefix of the series must build and pass the suites on its own:
# apply patches 1..i with git am (same tree, so the build stays incremental
# and mostly ccache hits), build, run the suites into $RES/each/<i>.  Leaves
# the tree with the whole series applied.  Not part of `make check`.
do_each() {
	local i n p total rc=0
	total=$(series_patches | wc -l)
	unpack_base
	for i in $(seq 1 "$total"); do
		git -C "$SRC" am --abort >/dev/null 2>&1 || true
		git -C "$SRC" checkout -q -f -B work base
		git -C "$SRC" clean -qfdx -e .nestedv2-base
		rm -f "$SRC/.nestedv2-series"
		n=0
		for p in $(series_patches | head -n "$i"); do
			git -C "$SRC" am -q "$SERIES_DIR/$p" || die "git am failed on $p"
			n=$((n + 1))
		done
		# a stamp that is not the series' sum: do_build keeps this prefix,
		# and do_prepare below re-applies the whole series
		echo "prefix-$i" >"$SRC/.nestedv2-series"
		say "prefix $i/$total: $(git -C "$SRC" log -1 --format=%s)"
		(
			RES=$RES/each/$i
			mkdir -p "$RES"
			do_build && do_test
		) || rc=1
		grep -q ' rc=[1-9]' "$RES/each/$i/summary.txt" && rc=1
		grep -qx '0' "$RES/each/$i/syntax-check.rc" || rc=1
	done
	do_prepare
	return $rc
}

# Run one step, keep its exit code for tests/libvirt; the suites' own
# failures never stop the chain (do_test records them and returns 0).
step() { # name
	local rc=0 t0
	t0=$(date +%s)
	mkdir -p "$RES"
	("do_$1") || rc=$?
	echo "$rc" >"$RES/$1.rc"
	printf '%s rc=%s %ss\n' "$1" "$rc" "$(($(date +%s) - t0))" >>"$RES/steps.txt"
	return "$rc"
}

case ${1:-all} in
fetch) do_fetch ;;
prepare) do_prepare ;;
quilt) do_quilt ;;
build) do_build ;;
test) do_test ;;
syntax-check) do_syntax_check ;;
each) do_each ;;
all)
	mkdir -p "$RES"
	rm -f "$RES"/*.rc "$RES/steps.txt"
	t0=$(date +%s)
	step prepare
	rc=0
	step quilt || rc=1
	step build
	step test
	say "libvirt: done in $(($(date +%s) - t0))s; suites: $(tr '\n' ';' <"$RES/summary.txt")"
	exit $rc
	;;
*) die "usage: $0 fetch|prepare|quilt|build|test|syntax-check|each|all" ;;
esac
