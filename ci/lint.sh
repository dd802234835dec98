#!/usr/bin/env bash
# Lint the kernel series, the way a maintainer would before sending it:
#   1. it applies with git am (ci/sources.sh ours) and with quilt, same tree;
#   2. scripts/checkpatch.pl --strict is clean on every patch, and
#      ci/gsc-lint.py finds no vCPU state access that bypasses the
#      nestedv2 state cache (ci/gsc-lint.allow lists the exceptions);
#   3. the tree builds after every patch (bisectable), starting with the
#      unpatched base, whose vmlinux becomes build/kernels/base/vmlinux.
# Results: build/results/lint.tsv (check<TAB>subject<TAB>ok|fail<TAB>detail),
# logs in build/results/lint/.  Exits non-zero when anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${RESULTS:-$BUILD/results}
LOGS=$OUT/lint
mkdir -p "$LOGS"
TSV=$OUT/lint.tsv
: >"$TSV.new"
failed=0
record() { # check subject status detail
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$TSV.new"
	[ "$3" = ok ] || failed=1
}
SERIES_DIR=$TOP/kernel-patches/linux-6.1
TREE=$BUILD/src/linux-6.1
# However lint ends (failure, interrupt), the tree goes back to the tip of
# the series, which kernel-ours and the tests expect.
finish() {
	mv "$TSV.new" "$TSV"
	if [ -d "$TREE/.git" ] && git -C "$TREE" rev-parse -q --verify work >/dev/null; then
		git -C "$TREE" checkout -q -f work 2>/dev/null || true
	fi
}
trap finish EXIT

OBJ=$BUILD/obj/linux-6.1
FRAGS=("$TOP/ci/configs/l1-lean.config" "$TOP/ci/configs/kunit.config")

# 1. Apply.
if "$TOP/ci/sources.sh" ours >"$LOGS/git-am.log" 2>&1; then
	record apply git-am ok ""
else
	record apply git-am fail "$(tail -n 3 "$LOGS/git-am.log" | tr '\n\t' '  ')"
	exit 1
fi
if "$TOP/ci/sources.sh" quilt >"$LOGS/quilt.log" 2>&1; then
	record apply quilt ok ""
else
	record apply quilt fail "$(tail -n 3 "$LOGS/quilt.log" | tr '\n\t' '  ')"
fi

mapfile -t patches < <(series_patches)
mapfile -t commits < <(git -C "$TREE" rev-list --reverse refs/tags/base..HEAD)
[ ${#patches[@]} = ${#commits[@]} ] || die "series has ${#patches[@]} patches, tree ${#commits[@]} commits"

# 2. checkpatch, with the base tree's own script.
# checkpatch_one PATCH: its log, and checkpatch's exit status in LOG.rc.
# PATH: checkpatch runs spdxcheck.py with python3, which must be Debian's.
checkpatch_one() {
	local log=$LOGS/checkpatch-${1%.patch}.log rc=0
	(cd "$TREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q \
		"$SERIES_DIR/$1") >"$log" 2>&1 || rc=$?
	echo "$rc" >"$log.rc"
}
# JOBS at a time (one perl each, ~0.5 s a patch), recorded in series order.
for p in "${patches[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	checkpatch_one "$p" &
done
wait
for p in "${patches[@]}"; do
	log=$LOGS/checkpatch-${p%.patch}.log
	if [ "$(cat "$log.rc" 2>/dev/null)" = 0 ] &&
		! grep -qE "^(ERROR|WARNING|CHECK):|Traceback" "$log"; then
		record checkpatch "$p" ok ""
	else
		record checkpatch "$p" fail "$(grep -cE '^(ERROR|WARNING|CHECK):' "$log") findings, see $log"
	fi
	rm -f "$log.rc"
done

# 2b. The nestedv2 state cache is used everywhere it must be (issue 11):
# no access, outside its accessors, to a vCPU field that the guest state
# element table maps to an element, unless ci/gsc-lint.allow says why.
if /usr/bin/python3 "$TOP/ci/gsc-lint.py" "$TREE" >"$LOGS/gsc-lint.log" 2>&1; then
	record gsc-lint tip ok ""
else
	record gsc-lint tip fail "$(grep -c ': ' "$LOGS/gsc-lint.log") lines, see $LOGS/gsc-lint.log"
fi

# 3. Build after every patch.  A step whose tree and config were built
# before (stamp in build/obj) is not rebuilt.  Nor is one that built on this
# machine before, in any checkout: the stamp in ~/.cache/nestedv2/lint-built
# is keyed by the git tree id (the content of every file), the config
# fragments, the build script and the compiler, so the same key means the
# same build.  Only successful builds leave a stamp.  The base's kernel
# (build/kernels/base, booted by boot-base) is kept beside it in
# ~/.cache/nestedv2/kernels/lint-base-KEY, so a new clone does not rebuild it.
tip=$(git -C "$TREE" rev-parse HEAD)
frag_sum=$(cat "${FRAGS[@]}" | sha256sum | cut -c1-16)
tool_sum=$({ cat "$TOP/ci/kernel.sh"; "${CROSS_COMPILE}gcc" --version; } |
	sha256sum | cut -c1-16)
BUILT=$CACHE/lint-built
step() { # commit subject flavour-to-install
	local c=$1 subject=$2 tree stamp gstamp log kc
	tree=$(git -C "$TREE" rev-parse "$c^{tree}")
	stamp=$OBJ/.built-$tree-$frag_sum
	gstamp=$BUILT/$tree-$frag_sum-$tool_sum
	log=$LOGS/build-$subject.log
	if [ -f "$stamp" ] && { [ -z "$3" ] ||
		[ "$(cat "$BUILD/kernels/$3/tree" 2>/dev/null)" = "$tree-$frag_sum" ]; }; then
		record build "$subject" ok "cached"
		return
	fi
	if [ -z "$3" ] && [ -f "$gstamp" ]; then
		record build "$subject" ok "cached (built $(cat "$gstamp"))"
		return
	fi
	# A build that installs a kernel (the base) is kept with its stamp, so
	# a new clone takes the kernel instead of building it again.
	kc=$CACHE/kernels/lint-$3-$tree-$frag_sum-$tool_sum
	if [ -n "$3" ] && [ -f "$gstamp" ] && [ -f "$kc/vmlinux" ]; then
		rm -rf "$BUILD/kernels/$3"
		mkdir -p "$BUILD/kernels"
		cp -a "$kc" "$BUILD/kernels/$3.new" && mv "$BUILD/kernels/$3.new" "$BUILD/kernels/$3"
		record build "$subject" ok "cached (built $(cat "$gstamp"), kernel from the kernel cache)"
		return
	fi
	git -C "$TREE" checkout -q --detach "$c"
	local t0=$SECONDS
	if "$TOP/ci/kernel.sh" build "$TREE" "$OBJ" "${FRAGS[@]}" >"$log" 2>&1; then
		record build "$subject" ok "$((SECONDS - t0))s"
		mkdir -p "$OBJ" "$BUILT" && touch "$stamp"
		date -u '+%Y-%m-%d %H:%M UTC' >"$gstamp"
		if [ -n "$3" ]; then
			"$TOP/ci/kernel.sh" install "$OBJ" "$3" "$TREE"
			echo "$tree-$frag_sum" >"$BUILD/kernels/$3/tree"
			mkdir -p "$CACHE/kernels"
			rm -rf "$kc.new" "$CACHE/kernels/lint-$3-"*
			cp -a "$BUILD/kernels/$3" "$kc.new" && mv "$kc.new" "$kc"
		fi
	else
		record build "$subject" fail "$(tail -n 5 "$log" | tr '\n\t' '  ')"
	fi
}
step refs/tags/base base base
i=0
for c in "${commits[@]}"; do
	step "$c" "${patches[$i]}" ""
	i=$((i + 1))
done
git -C "$TREE" checkout -q work
[ "$(git -C "$TREE" rev-parse HEAD)" = "$tip" ] || die "tree did not return to the tip"
exit $failed
