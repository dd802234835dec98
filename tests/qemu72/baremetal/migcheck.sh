#!/bin/sh
# DEXCR/HASHKEYR/HASHPKEYR migration check.
#
#   migcheck.sh QEMU ELF WORKDIR [QEMU ARGS...]
#
# Boots ELF (migcheck.elf, built from this directory) as the kernel of a
# pseries VM, waits until it has set DEXCR/HASHKEYR and printed
# "migcheck: ready", migrates the VM into WORKDIR/state with
# `migrate "exec:cat > state"`, quits, starts a second QEMU with
# `-incoming "exec:cat state"`, types 'v' on its console and waits for
# "migcheck: PASS" or "migcheck: FAIL ...".  QEMU ARGS are the machine,
# CPU and accelerator options (the same for both sides), e.g.
#   -accel kvm -M pseries,x-vof=on -cpu host -m 512M
#
# POSIX sh only (runs under busybox inside the L1): the consoles and
# monitors are QEMU "pipe:" chardevs on FIFOs.  Exit status: 0 PASS,
# 1 FAIL, 2 harness/QEMU error.  Logs stay in WORKDIR.
#
# For migration between different QEMU builds (e.g. to an unpatched 7.2):
#   MIGCHECK_DST_QEMU  destination binary (default: QEMU)
#   MIGCHECK_READY     source console text to wait for (default:
#                      "migcheck: ready")
#   MIGCHECK_LOAD_ONLY=1  stop once the destination has loaded the stream
#                      and runs ("migcheck: destination running", exit 0)
#   MIGCHECK_AUTOCONVERGE=1  migrate_set_capability auto-converge on first:
#                      a guest that keeps writing is throttled until the
#                      migration converges instead of filling WORKDIR
#   MIGCHECK_RAM=BYTES compare the guest RAM (0 .. BYTES) of the stopped
#                      source after the migration with the destination's
#                      once it has loaded the stream (started with -S,
#                      `cont` after): `pmemsave` on both monitors, sha256sum;
#                      a "migcheck: RAM ..." line, and FAIL when they differ
set -eu

[ $# -ge 3 ] || { echo "usage: $0 QEMU ELF WORKDIR [QEMU ARGS...]" >&2; exit 2; }
qemu=$1 elf=$2 dir=$3
shift 3
timeout=${MIGCHECK_TIMEOUT:-60}
dst_qemu=${MIGCHECK_DST_QEMU:-$qemu}
ready=${MIGCHECK_READY:-migcheck: ready}

case $elf in /*) ;; *) elf=$PWD/$elf ;; esac
[ -f "$elf" ] || { echo "migcheck.sh: error: $elf: no such file" >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"
rm -f ./*.in ./*.out ./*.log state qemu-*.pid

fail() { echo "migcheck.sh: error: $*" >&2; cleanup; exit 2; }

pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	exec 3>&- 4>&- 5>&- 6>&- 2>/dev/null || true
}

# wait_for FILE PATTERN PID: until grep finds PATTERN in FILE; fails when
# the timeout passes or process PID (the QEMU writing FILE) is gone.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $((timeout * 5)) ] || return 1
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.2
	done
}

# start NAME BINARY [QEMU ARGS...]: QEMU with pipe chardevs NAME-ser, NAME-mon;
# sets $qpid.  Our ends of the .in FIFOs are opened read-write (3<>) so
# that no open blocks whatever order QEMU opens them in.
start() {
	name=$1 bin=$2
	shift 2
	for f in "$name-ser" "$name-mon"; do
		mkfifo "$f.in" "$f.out"
		cat "$f.out" >"$f.log" &
		pids="$pids $!"
	done
	"$bin" "$@" -display none -kernel "$elf" \
		-serial "pipe:$name-ser" -monitor "pipe:$name-mon" \
		</dev/null >"$name-qemu.log" 2>&1 &
	qpid=$!
	pids="$pids $qpid"
}

# 1. Source VM.
start src "$qemu" "$@"
src=$qpid
exec 3<>src-mon.in 4<>src-ser.in
wait_for src-ser.log "$ready" "$src" ||
	fail "source never printed '$ready' (see $dir/src-ser.log, src-qemu.log)"

# 2. Migrate to a file and stop the source.
[ "${MIGCHECK_AUTOCONVERGE:-0}" != 1 ] ||
	echo "migrate_set_capability auto-converge on" >&3
echo 'migrate "exec:cat > state"' >&3
i=0
until grep -q "Migration status: completed" src-mon.log; do
	grep -q "Migration status: failed" src-mon.log && fail "migration failed (src-mon.log)"
	i=$((i + 1))
	[ $i -le $((timeout * 2)) ] || fail "migration did not complete (src-mon.log)"
	echo "info migrate" >&3
	sleep 0.5
done
# pmemsave FD NAME: the guest RAM into NAME.ram through monitor FD, then
# only its sha256 is kept (NAME.sum)
ramsave() {
	echo "pmemsave 0 $MIGCHECK_RAM $2.ram" >&"$1"
	i=0
	until [ "$(stat -c %s "$2.ram" 2>/dev/null)" = "$MIGCHECK_RAM" ]; do
		i=$((i + 1))
		[ $i -le $((timeout * 5)) ] || fail "pmemsave into $2.ram did not finish"
		sleep 0.2
	done
	sleep 0.5
	sha256sum "$2.ram" | cut -d' ' -f1 >"$2.sum"
	rm -f "$2.ram"
}
[ -z "${MIGCHECK_RAM:-}" ] || ramsave 3 src
echo quit >&3
wait "$src" 2>/dev/null || true
exec 3>&- 4>&-
[ -s state ] || fail "no migration stream written"

# 3. Destination VM from the stream (with MIGCHECK_RAM: stopped until its
# RAM is summed).
if [ -n "${MIGCHECK_RAM:-}" ]; then
	start dst "$dst_qemu" "$@" -S -incoming "exec:cat state"
	dst=$qpid
	exec 5<>dst-mon.in 6<>dst-ser.in
	i=0
	while :; do
		echo "info status" >&5
		sleep 0.5
		last=$(grep "VM status" dst-mon.log | tail -n 1)
		case $last in
		*inmigrate* | "") ;;
		*paused*) break ;;
		*) fail "destination: '$last' before its RAM was summed (dst-mon.log)" ;;
		esac
		kill -0 "$dst" 2>/dev/null || fail "destination QEMU exited: $(cat dst-qemu.log)"
		i=$((i + 1))
		[ $i -le $((timeout * 2)) ] || fail "destination never loaded the stream (dst-mon.log)"
	done
	ramsave 5 dst
	echo "migcheck: RAM sha256 $(cat src.sum) on the source after the migration," \
		"$(cat dst.sum) on the destination"
	echo cont >&5
else
	start dst "$dst_qemu" "$@" -incoming "exec:cat state"
	dst=$qpid
	exec 5<>dst-mon.in 6<>dst-ser.in
fi
i=0
until grep -q "VM status: running" dst-mon.log; do
	if ! kill -0 "$dst" 2>/dev/null; then
		fail "destination QEMU exited: $(cat dst-qemu.log)"
	fi
	i=$((i + 1))
	[ $i -le $((timeout * 2)) ] || fail "destination never ran (dst-mon.log, dst-qemu.log)"
	echo "info status" >&5
	sleep 0.5
done

if [ "${MIGCHECK_LOAD_ONLY:-0}" = 1 ]; then
	echo quit >&5
	wait "$dst" 2>/dev/null || true
	exec 5>&- 6>&-
	cleanup
	grep "^migcheck: " src-ser.log || true
	echo "migcheck: destination running"
	exit 0
fi

# 4. Ask the payload to compare.
printf v >&6
wait_for dst-ser.log "migcheck: PASS\|migcheck: FAIL" "$dst" ||
	fail "destination printed no verdict (dst-ser.log)"
echo quit >&5
wait "$dst" 2>/dev/null || true
exec 5>&- 6>&-
cleanup
grep "^migcheck: " src-ser.log dst-ser.log | sed 's/^[a-z]*-ser.log://'
if [ -n "${MIGCHECK_RAM:-}" ] && [ "$(cat src.sum)" != "$(cat dst.sum)" ]; then
	echo "migcheck: FAIL: the guest RAM differs between the source after the migration and the destination"
	exit 1
fi
grep -q "migcheck: PASS" dst-ser.log
