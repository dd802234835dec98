#!/usr/bin/env bash
# ci/debs.lock: the exact .debs (ppc64el sysroots and initramfs payloads, and
# a few host-side extras) that the pipeline downloads, one per line:
#
#   PACKAGE ARCH VERSION SHA256
#
#   ci/debs-lock.sh add PKG:ARCH[=VERSION]...  add (or move) entries; the
#                                              version defaults to apt's
#                                              candidate
#   ci/debs-lock.sh update                     move every entry to apt's
#                                              candidate (what `make rebase
#                                              BASE=debs TO=latest` runs)
#   ci/debs-lock.sh check                      every locked version is still
#                                              served (apt's lists)
#
# The SHA-256 is the one of the signed Packages index (apt-cache show), so
# nothing needs downloading to lock; ci/lib.sh's locked_deb checks the file
# against it when it is fetched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOCK=$DEBS_LOCK

candidate() { # pkg arch
	apt-cache policy "$1:$2" 2>/dev/null | awk '/^  Candidate:/ { print $2 }'
}

sha_of() { # pkg arch version
	apt-cache show "$1:$2=$3" 2>/dev/null | awk '/^SHA256: / { print $2; exit }'
}

# entry PKG ARCH VERSION: the lock line, or an error naming what is missing
entry() {
	local s
	s=$(sha_of "$1" "$2" "$3")
	[ -n "$s" ] || die "$1:$2=$3 is not in apt's lists (newest: $(newest_version "$1" "$2"))"
	printf '%s %s %s %s\n' "$1" "$2" "$3" "$s"
}

write_lock() { # lines on stdin
	{
		sed -n '/^#/p' "$LOCK"
		sort -k1,1 -k2,2 -u
	} >"$LOCK.new"
	mv "$LOCK.new" "$LOCK"
}

case ${1:-} in
add)
	shift
	[ $# -gt 0 ] || die "usage: $0 add PKG:ARCH[=VERSION]..."
	new=()
	for spec in "$@"; do
		pa=${spec%%=*} v=
		[ "$pa" = "$spec" ] || v=${spec#*=}
		p=${pa%%:*} a=${pa#*:}
		[ "$a" != "$pa" ] || die "$spec: give the architecture (PKG:ARCH)"
		[ -n "$v" ] || v=$(candidate "$p" "$a")
		[ -n "$v" ] && [ "$v" != "(none)" ] || die "no candidate for $p:$a (run 'make deps')"
		new+=("$(entry "$p" "$a" "$v")")
	done
	{
		printf '%s\n' "${new[@]}"
		awk '!/^#/' "$LOCK"
	} | awk '!seen[$1 " " $2]++' | write_lock
	printf '%s\n' "${new[@]}" | sed 's/^/locked: /'
	;;
update)
	changed=0
	out=()
	while read -r p a v s; do
		c=$(candidate "$p" "$a")
		[ -n "$c" ] && [ "$c" != "(none)" ] || die "no candidate for $p:$a (run 'make deps')"
		if [ "$c" != "$v" ]; then
			echo "$p:$a $v -> $c"
			changed=$((changed + 1))
		fi
		out+=("$(entry "$p" "$a" "$c")")
	done < <(awk '!/^#/ && NF' "$LOCK")
	printf '%s\n' "${out[@]}" | write_lock
	echo "ci/debs.lock: $changed of ${#out[@]} entries moved"
	;;
check)
	# One apt-cache call for all entries: "pkg arch version sha256" records.
	args=()
	while read -r p a v _; do
		if [ "$a" = all ]; then args+=("$p=$v"); else args+=("$p:$a=$v"); fi
	done < <(awk '!/^#/ && NF' "$LOCK")
	known=$(apt-cache show "${args[@]}" 2>/dev/null | awk '
		/^Package: / { p = $2 } /^Architecture: / { a = $2 } /^Version: / { v = $2 }
		/^SHA256: / { print p, a, v, $2 }' || true)
	bad=0 n=0
	while read -r p a v s; do
		n=$((n + 1))
		got=$(awk -v p="$p" -v a="$a" -v v="$v" '$1 == p && $2 == a && $3 == v { print $4; exit }' <<<"$known")
		if [ -z "$got" ]; then
			say "$p:$a=$v is not served any more (newest: $(newest_version "$p" "$a"))"
			bad=1
		elif [ "$got" != "$s" ]; then
			say "$p:$a=$v: the archive says sha256 $got, locked $s"
			bad=1
		fi
	done < <(awk '!/^#/ && NF' "$LOCK")
	[ $bad = 0 ] || die "ci/debs.lock is out of date: make rebase BASE=debs TO=latest"
	echo "ci/debs.lock: all $n entries served with the locked checksums"
	;;
*)
	die "usage: $0 add PKG:ARCH[=VERSION]... | update | check"
	;;
esac
