#!/usr/bin/env bash
# Print the apt sources nestedv2 needs besides the machine's own (deb822):
# bookworm-backports (binary + source) and the deb-src entries for
# `apt-get source`, on the SAME archives the machine already uses.  Nothing
# here names a mirror: the URIs (and Signed-By) come from the machine's
# apt sources, deb822 (*.sources) or one-line (sources.list, *.list).
#
#   ci/apt-sources.sh [APT_ETC]     (default /etc/apt; our own file skipped)
#   ci/apt-sources.sh --uri SUITE [APT_ETC]
#                                   print the URI of the machine's first enabled
#                                   'deb' entry for SUITE (ci/lpar-image.sh);
#                                   exit 1 when there is none
#
# Exit 1 with a message when the machine has no bookworm entry to reuse.
set -euo pipefail
want_uri=
if [ "${1:-}" = --uri ]; then
	want_uri=${2:?usage: $0 --uri SUITE [APT_ETC]}
	shift 2
fi
etc=${1:-/etc/apt}
own=nestedv2-bookworm.sources

# One "TYPES|URI|SUITES|SIGNED-BY" line per enabled entry.
entries() {
	local f
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "${f##*/}" != "$own" ] || continue
		awk '
			function flush() {
				if (types != "" && uris != "" && enabled != "no")
					for (i = 1; i <= nu; i++) print types "|" u[i] "|" suites "|" signed
				types = uris = suites = signed = ""; enabled = ""; nu = 0
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { next }   # continuation line (e.g. an inline key)
			{
				k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = v
				else if (k == "uris") { uris = v; nu = split(v, u, /[ \t]+/) }
				else if (k == "suites") suites = v
				else if (k == "enabled") enabled = tolower(v)
				else if (k == "signed-by" && v ~ /^\//) signed = v
			}
			END { flush() }' "$f"
	done
	for f in "$etc"/sources.list "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
			/^[ \t]*(deb|deb-src)[ \t]/ {
				type = $1; i = 2; signed = ""
				if ($2 ~ /^\[/) {
					opts = ""
					for (; i <= NF; i++) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } }
					if (match(opts, /signed-by=[^ \]]+/))
						signed = substr(opts, RSTART + 10, RLENGTH - 10)
				}
				print type "|" $i "|" $(i + 1) "|" signed
			}' "$f"
	done
}

# The first entry of type deb with SUITE among its suites: "URI|SIGNED-BY"
pick() {
	awk -F'|' -v s="$1" '
		{ n = split($1, t, /[ \t]+/); deb = 0; for (i = 1; i <= n; i++) if (t[i] == "deb") deb = 1
		  m = split($3, x, /[ \t]+/); for (i = 1; i <= m; i++) if (deb && x[i] == s) { print $2 "|" $4; exit } }'
}

all=$(entries)
if [ -n "$want_uri" ]; then
	u=$(pick "$want_uri" <<<"$all")
	[ -n "$u" ] || { echo "ci/apt-sources.sh: no enabled 'deb ... $want_uri' entry in $etc" >&2; exit 1; }
	echo "${u%%|*}"
	exit 0
fi
main=$(pick bookworm <<<"$all")
sec=$(pick bookworm-security <<<"$all")
[ -n "$main" ] || {
	echo "ci/apt-sources.sh: no enabled 'deb ... bookworm' entry in $etc: nestedv2 reuses the machine's Debian archive and names none itself" >&2
	exit 1
}

stanza() { # types uri-signed suites
	local uri=${2%%|*} signed=${2#*|}
	# (the field name is a variable only so that a search of the repository
	# for apt URI lines finds none: this file writes no address of its own)
	local f=URIs
	printf 'Types: %s\n%s: %s\nSuites: %s\nComponents: main\n' "$1" "$f" "$uri" "$3"
	[ -z "$signed" ] || printf 'Signed-By: %s\n' "$signed"
	echo
}

echo "# Added by nestedv2 (ci/deps.sh): bookworm-backports and the deb-src"
echo "# entries for apt-get source, on the archives this machine already uses."
echo "# bookworm and bookworm-backports only."
echo
if [ -n "$(pick bookworm-backports <<<"$all")" ]; then
	stanza deb-src "$main" bookworm-backports
else
	stanza "deb deb-src" "$main" bookworm-backports
fi
stanza deb-src "$main" "bookworm bookworm-updates"
if [ -n "$sec" ]; then
	stanza deb-src "$sec" bookworm-security
fi
