#!/usr/bin/env bash
# End to end through libvirt: an admin's virsh session against a private
# virtqemud (our patched libvirt 9.0) that runs an emulated PowerVM LPAR.
#
#   ci/libvirt-e2e.sh [KERNEL...]     KERNEL: ref | ours (default: ref ours)
#
# For each KERNEL (build/kernels/KERNEL/vmlinux): virsh define the domain of
# tests/libvirt/e2e/nestedv2-l1.xml (TCG pseries, POWER10,
# <nested-papr state='on'/>, direct boot of the kernel and
# build/initramfs/l1.cpio.gz with nv2.run=info, serial console to a file),
# virsh start, wait until the L1 powers off (the domain shuts off by itself;
# E2E_TIMEOUT seconds, default 240), virsh destroy if it did not, virsh
# undefine.  Then, once per run: bad input (malformed XML, an invalid
# attribute value, a domain whose kernel does not exist) must be refused with
# virsh's error and leave nothing behind, and after the daemon is stopped no
# daemon, QEMU process or domain state may be left.
#
# Nothing is installed: the daemon and virsh run from build/obj/libvirt-9.0,
# and all config, sockets, state and logs live under the build's private
# prefix build/inst/libvirt-9.0 (etc/libvirt/qemu.conf is written here).
# A trap stops the daemon (and any domain still running) on every exit.
#
# Results (ci/harness.py's library turns the console into results):
#   build/results/virsh-e2e-KERNEL.{tap,facts}   one line per result
#   build/results/virsh-e2e-KERNEL.console       the L1's serial console
#   build/results/virsh-e2e-KERNEL.qemu-cmdline  QEMU command line (domain log)
#   build/results/virsh-e2e-KERNEL.domain.log    the whole domain log
#   build/results/virsh-e2e.{tap,facts}          bad input, daemon, cleanup
#   build/results/virsh-e2e.daemon.log           the daemon's own log
# Exit status: 0 when every result passed.
#
# The L0 QEMU is E2E_QEMU, else $L0_QEMU (our patched 10.0, exported by
# ci/mk/qemu10.mk) when it exists, else /usr/bin/qemu-system-ppc64.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

OBJ=$BUILD/obj/libvirt-9.0
PREFIX=$BUILD/inst/libvirt-9.0
RES=${RESULTS:-$BUILD/results}
WORK=$PREFIX/e2e
TEMPLATE=$TOP/tests/libvirt/e2e/nestedv2-l1.xml
DATA=$TOP/tests/libvirt/data
INITRD=$BUILD/initramfs/l1.cpio.gz
TIMEOUT=${E2E_TIMEOUT:-240}
PYTHON=${PYTHON:-/usr/bin/python3}
RUNDIR=$PREFIX/var/run/libvirt
SOCK=$RUNDIR/virtqemud-sock
PIDFILE=$PREFIX/var/run/virtqemud.pid
URI="qemu+unix:///system?socket=$SOCK"
DAEMON=$OBJ/src/virtqemud
VIRSH=$OBJ/tools/virsh
DOMLOGS=$PREFIX/var/log/libvirt/qemu
INVALID=nv2-e2e-invalid

KERNELS=("$@")
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=(ref ours)
for k in "${KERNELS[@]}"; do
	case $k in ref | ours) ;; *) die "unknown kernel '$k' (ref or ours)" ;; esac
done

if [ -n "${E2E_QEMU:-}" ]; then
	EMULATOR=$E2E_QEMU
elif [ -n "${L0_QEMU:-}" ] && [ -x "$L0_QEMU" ]; then
	EMULATOR=$L0_QEMU
else
	EMULATOR=/usr/bin/qemu-system-ppc64
fi

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Results are collected as "ok|not ok <TAB> name <TAB> diagnostic" lines in
# $WORK/<set>.steps (and key=value in $WORK/<set>.facts) and turned into
# TAP by ci/harness.py's write_results() at the end.
result() { # set ok(0/1) name [diag]
	local diag=${4:-}
	diag=${diag//$'\t'/ }
	diag=${diag//$'\n'/$'\x1f'}
	printf '%s\t%s\t%s\n' "$([ "$2" = 1 ] && echo ok || echo 'not ok')" "$3" "$diag" >>"$WORK/$1.steps"
	[ "$2" = 1 ] || say "$1: FAILED: $3${4:+: $4}"
}
fact() { echo "$2=$3" >>"$WORK/$1.facts"; }

# Environment of the daemon and of virsh: nothing of the caller's but a
# plain PATH; libraries and driver modules from the build tree.  (Not the
# build tree's ./run script: on a systemd host it stops the host's libvirt
# units while it runs.)
lvenv() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$PREFIX/var/lib/libvirt" \
		LD_LIBRARY_PATH="$OBJ/src" LIBVIRT_DIR_OVERRIDE=1 "$@"
}
# (a timeout, so that a daemon that stopped answering cannot hang the run)
virsh() { lvenv timeout 120 "$VIRSH" -q -c "$URI" "$@"; }

daemon_pid() {
	local pid
	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
	[ -n "$pid" ] || return 1
	# (a daemon whose binary was rebuilt since shows "... (deleted)")
	case $(readlink "/proc/$pid/exe" 2>/dev/null) in
	"$DAEMON" | "$DAEMON (deleted)") echo "$pid" ;;
	*) return 1 ;;
	esac
}

# Processes of domains of this daemon: their command line names the
# domain's private directory under our prefix (the master key).
domain_procs() {
	pgrep -f -- "$PREFIX/var/lib/libvirt/qemu/domain-" || true
}

write_config() {
	mkdir -p "$PREFIX/etc/libvirt" "$RUNDIR" "$DOMLOGS" "$WORK"
	# The QEMU driver's config (its path is compiled in: sysconfdir of the
	# private prefix).  No cgroups (libvirt would create machine.slice
	# groups on the host), no mount namespace, no virtlogd (domain logs
	# go straight to files), no ownership changes of the kernel/initramfs.
	cat >"$PREFIX/etc/libvirt/qemu.conf" <<-'EOF'
		# written by ci/libvirt-e2e.sh
		cgroup_controllers = [ ]
		namespaces = [ ]
		stdio_handler = "file"
		dynamic_ownership = 0
		remember_owner = 0
	EOF
	cat >"$PREFIX/etc/libvirt/virtqemud.conf" <<-'EOF'
		# written by ci/libvirt-e2e.sh
		log_outputs = "3:stderr"
	EOF
}

start_daemon() {
	local t0 pid
	t0=$(now)
	if pid=$(daemon_pid); then
		say "stopping a virtqemud left by an earlier run (pid $pid)"
		kill "$pid"
		for _ in $(seq 50); do daemon_pid >/dev/null || break; sleep 0.2; done
	fi
	rm -f "$SOCK" "$SOCK"-ro "$RUNDIR/virtqemud-admin-sock"
	lvenv "$DAEMON" --config "$PREFIX/etc/libvirt/virtqemud.conf" --pid-file "$PIDFILE" \
		</dev/null >"$RES/virsh-e2e.daemon.log" 2>&1 &
	DAEMON_BG=$!
	for _ in $(seq 150); do
		# (not `virsh version`: it asks for the host arch's emulator)
		if [ -S "$SOCK" ] && virsh uri >/dev/null 2>&1; then
			result run 1 "virtqemud started and answers virsh"
			fact run daemon_start_seconds "$(since "$t0")"
			fact run libvirt_version "$(lvenv "$VIRSH" --version)"
			remove_leftovers
			return 0
		fi
		kill -0 "$DAEMON_BG" 2>/dev/null || break
		sleep 0.2
	done
	result run 0 "virtqemud started and answers virsh" "$(tail -20 "$RES/virsh-e2e.daemon.log")"
	return 1
}

# Domains an interrupted earlier run left in the private prefix (the
# daemon loads their definitions): destroy and undefine them, and say so.
remove_leftovers() {
	local n left
	left=$(virsh list --all --name 2>/dev/null | tr '\n' ' ')
	[ -n "${left// /}" ] || return 0
	say "removing domains left by an earlier run: $left"
	fact run leftovers_from_earlier_run "$left"
	for n in $(virsh list --name 2>/dev/null); do virsh destroy "$n" >/dev/null 2>&1 || true; done
	for n in $left; do virsh undefine "$n" >/dev/null 2>&1 || true; done
}

# Stop our daemon: domains first (a daemon that exits leaves its QEMU
# processes running), then SIGTERM, SIGKILL after 15 s.  Only processes
# this run started, by pid.
stop_daemon() {
	local pid n
	if pid=$(daemon_pid) || { [ -n "${DAEMON_BG:-}" ] && kill -0 "$DAEMON_BG" 2>/dev/null && pid=$DAEMON_BG; }; then
		for n in $(virsh list --name 2>/dev/null); do virsh destroy "$n" >/dev/null 2>&1 || true; done
		for n in $(virsh list --all --name 2>/dev/null); do virsh undefine "$n" >/dev/null 2>&1 || true; done
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$pid" 2>/dev/null; then
			say "virtqemud ($pid) ignored SIGTERM, killing it"
			kill -KILL "$pid" 2>/dev/null || true
			STOP_FORCED=1
		fi
		wait "$pid" 2>/dev/null || true
	fi
	# A QEMU of ours the daemon did not reap (only on a crash): by its pid file.
	for f in "$RUNDIR"/qemu/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		if [ -n "$pid" ] && grep -qF -- "$PREFIX/var/lib/libvirt/qemu/domain-" "/proc/$pid/cmdline" 2>/dev/null; then
			say "killing QEMU $pid left by the daemon ($f)"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}
trap stop_daemon EXIT
trap 'exit 130' INT TERM HUP

render() { # name kernel console
	sed -e "s|@NAME@|$1|g" -e "s|@KERNEL@|$2|g" -e "s|@INITRD@|$INITRD|g" \
		-e "s|@CONSOLE@|$3|g" -e "s|@EMULATOR@|$EMULATOR|g" -e "s|@RUN@|info|g" "$TEMPLATE"
}

# Nothing of domain $2 may be left: not listed, no QEMU process, no
# status file, no private directory (and, if $3 is "undefined", no
# persistent definition).
check_nothing_left() { # set name [undefined]
	local set=$1 name=$2 left=""
	if virsh list --all --name 2>/dev/null | grep -qx "$name"; then
		[ "${3:-}" = undefined ] && left+=" still listed by 'virsh list --all';"
	fi
	virsh list --name 2>/dev/null | grep -qx "$name" && left+=" still running;"
	pgrep -f -- "guest=$name," >/dev/null && left+=" QEMU process $(pgrep -f -- "guest=$name," | tr '\n' ' ');"
	[ -e "$RUNDIR/qemu/$name.xml" ] && left+=" status file $RUNDIR/qemu/$name.xml;"
	[ -e "$RUNDIR/qemu/$name.pid" ] && left+=" pid file $RUNDIR/qemu/$name.pid;"
	compgen -G "$PREFIX/var/lib/libvirt/qemu/domain-*-$name" >/dev/null && left+=" private dir $(compgen -G "$PREFIX/var/lib/libvirt/qemu/domain-*-$name");"
	if [ "${3:-}" = undefined ] && [ -e "$PREFIX/etc/libvirt/qemu/$name.xml" ]; then
		left+=" definition $PREFIX/etc/libvirt/qemu/$name.xml;"
	fi
	if [ -z "$left" ]; then
		result "$set" 1 "nothing of $name left${3:+ (after undefine)}"
	else
		result "$set" 0 "nothing of $name left${3:+ (after undefine)}" "left:$left"
	fi
}

run_kernel() { # ref|ours
	local k=$1 name=nv2-e2e-$1 kernel=$BUILD/kernels/$1/vmlinux out=$RES/virsh-e2e-$1
	local console=$WORK/$1.console xml=$WORK/nv2-e2e-$1.xml t0 t1 out_err state waited qpid reason
	rm -f "$out".{console,qemu-cmdline,domain.log}
	t0=$(now)
	if [ ! -f "$kernel" ]; then
		result "$k" 0 "L1 kernel $kernel exists" "build it first: make kernel-$k"
		return 0
	fi
	fact "$k" vmlinux "$kernel"
	fact "$k" emulator "$EMULATOR"
	rm -f "$console" "$DOMLOGS/$name.log"
	render "$name" "$kernel" "$console" >"$xml"

	if out_err=$(virsh define "$xml" 2>&1); then
		result "$k" 1 "virsh define"
	else
		result "$k" 0 "virsh define" "$out_err"
		return 0
	fi
	t1=$(now)
	if out_err=$(virsh start "$name" 2>&1); then
		result "$k" 1 "virsh start"
		qpid=$(cat "$RUNDIR/qemu/$name.pid" 2>/dev/null || true)
		waited=0
		while :; do
			state=$(virsh domstate "$name" 2>&1 || true)
			[ "$state" = "shut off" ] && break
			if awk -v a="$t1" -v b="$(now)" -v t="$TIMEOUT" 'BEGIN { exit !(b - a > t) }'; then
				waited=timeout
				break
			fi
			sleep 0.25
		done
		if [ "$waited" = timeout ]; then
			result "$k" 0 "domain shut off by itself (L1 powered off)" "still '$state' after ${TIMEOUT}s"
			if out_err=$(virsh destroy "$name" 2>&1); then
				result "$k" 1 "virsh destroy of the hung domain"
			else
				result "$k" 0 "virsh destroy of the hung domain" "$out_err"
			fi
		else
			fact "$k" start_to_shutoff_seconds "$(since "$t1")"
			# "shutdown": the L1 powered off (not "crashed", "destroyed")
			reason=$(virsh domstate --reason "$name" 2>&1 | sed 's/.*(\(.*\))/\1/')
			fact "$k" shutoff_reason "$reason"
			if [ "$reason" = shutdown ]; then
				result "$k" 1 "domain shut off by itself (L1 powered off)"
			else
				result "$k" 0 "domain shut off by itself (L1 powered off)" "shut off, reason '$reason'"
			fi
		fi
		if [ -n "$qpid" ] && [ -d "/proc/$qpid" ] &&
			grep -qF -- "guest=$name," "/proc/$qpid/cmdline" 2>/dev/null; then
			result "$k" 0 "QEMU process gone after shut off" "pid $qpid still there"
		else
			result "$k" 1 "QEMU process gone after shut off"
		fi
	else
		result "$k" 0 "virsh start" "$out_err"
	fi

	[ -f "$console" ] && cp "$console" "$out.console"
	if [ -f "$DOMLOGS/$name.log" ]; then
		cp "$DOMLOGS/$name.log" "$out.domain.log"
		fact "$k" qemu_version "$(sed -n 's/.*: starting up .*qemu version: \(.*\), kernel: .*/\1/p' "$DOMLOGS/$name.log" | head -1)"
		# The command line: from the line after "starting up" to the
		# first line that does not continue with a backslash.
		awk '/: starting up /{on=1; next} on{print; if ($0 !~ /\\$/) exit}' \
			"$DOMLOGS/$name.log" >"$out.qemu-cmdline"
		if grep -qE -- '^-machine pseries[^ ]*,cap-nested-papr=on' "$out.qemu-cmdline"; then
			result "$k" 1 "QEMU command line has -machine pseries-...,cap-nested-papr=on"
		else
			result "$k" 0 "QEMU command line has -machine pseries-...,cap-nested-papr=on" \
				"$(grep -E -- '^-machine' "$out.qemu-cmdline" || echo 'no -machine in the domain log')"
		fi
	else
		result "$k" 0 "domain log $DOMLOGS/$name.log written"
	fi

	if out_err=$(virsh undefine "$name" 2>&1); then
		result "$k" 1 "virsh undefine"
	else
		result "$k" 0 "virsh undefine" "$out_err"
	fi
	check_nothing_left "$k" "$name" undefined
	fact "$k" define_to_undefine_seconds "$(since "$t0")"
	say "$k: define .. undefine in $(since "$t0")s (L1 $(grep -c '' "$out.console" 2>/dev/null || echo 0) console lines)"
}

# What the daemon tells an admin about the emulator (our series' domain
# capabilities entry).
check_domcaps() {
	local out_err
	if out_err=$(virsh domcapabilities --emulatorbin "$EMULATOR" --arch ppc64 \
		--machine pseries --virttype qemu 2>&1) &&
		grep -q "<nested-papr supported='yes'/>" <<<"$out_err"; then
		result run 1 "virsh domcapabilities: <nested-papr supported='yes'/> for TCG pseries"
	else
		result run 0 "virsh domcapabilities: <nested-papr supported='yes'/> for TCG pseries" \
			"$(grep -E 'nested|error' <<<"$out_err" || echo "$out_err" | tail -5)"
	fi
}

# Bad input through the daemon: each refused with virsh's error, nothing
# defined or started.
run_bad_input() {
	local out_err xml=$WORK/$INVALID.xml before after state
	before=$(virsh list --all --name 2>&1)
	if out_err=$(virsh define "$DATA/malformed.xml" 2>&1); then
		result run 0 "virsh define refuses malformed XML" "it was accepted: $out_err"
	elif grep -q "Premature end of data" <<<"$out_err"; then
		result run 1 "virsh define refuses malformed XML"
		fact run malformed_error "$(tr '\n' ' ' <<<"$out_err")"
	else
		result run 0 "virsh define refuses malformed XML" "unexpected error: $out_err"
	fi
	if out_err=$(virsh define "$DATA/nested-papr-bad-state.xml" 2>&1); then
		result run 0 "virsh define refuses <nested-papr state='maybe'/>" "it was accepted: $out_err"
	elif grep -q "Invalid value for attribute 'state' in element 'nested-papr': 'maybe'" <<<"$out_err"; then
		result run 1 "virsh define refuses <nested-papr state='maybe'/>"
	else
		result run 0 "virsh define refuses <nested-papr state='maybe'/>" "unexpected error: $out_err"
	fi
	after=$(virsh list --all --name 2>&1)
	if [ "$before" = "$after" ]; then
		result run 1 "refused XML defined nothing"
	else
		result run 0 "refused XML defined nothing" "before: $before, after: $after"
	fi

	# A second domain whose kernel does not exist: define works (libvirt
	# does not look at the kernel), start must fail with QEMU's reason and
	# leave no process, status or private directory behind.
	render "$INVALID" "$WORK/no-such-kernel/vmlinux" "$WORK/$INVALID.console" >"$xml"
	if ! out_err=$(virsh define "$xml" 2>&1); then
		result run 0 "virsh define $INVALID" "$out_err"
		return 0
	fi
	if out_err=$(virsh start "$INVALID" 2>&1); then
		result run 0 "virsh start with a missing kernel fails" "it started: $out_err"
		virsh destroy "$INVALID" >/dev/null 2>&1 || true
	elif grep -q "error: Failed to start domain '$INVALID'" <<<"$out_err" &&
		grep -qF "$WORK/no-such-kernel/vmlinux" <<<"$out_err"; then
		result run 1 "virsh start with a missing kernel fails"
		printf '%s\n' "$out_err" >"$RES/virsh-e2e.invalid-start.err"
		fact run invalid_start_error "$(tr '\n' ' ' <<<"$out_err")"
	else
		result run 0 "virsh start with a missing kernel fails" "unexpected error: $out_err"
	fi
	state=$(virsh domstate "$INVALID" 2>&1 || true)
	if [ "$state" = "shut off" ]; then
		result run 1 "$INVALID is shut off after the failed start"
	else
		result run 0 "$INVALID is shut off after the failed start" "state: $state"
	fi
	check_nothing_left run "$INVALID"
	if out_err=$(virsh undefine "$INVALID" 2>&1); then
		result run 1 "virsh undefine $INVALID"
	else
		result run 0 "virsh undefine $INVALID" "$out_err"
	fi
	check_nothing_left run "$INVALID" undefined
}

# After the daemon is gone: no daemon, no QEMU, no domain state.
check_after_stop() {
	local pid left f
	if [ -n "${DAEMON_BG:-}" ] && kill -0 "$DAEMON_BG" 2>/dev/null; then
		result run 0 "virtqemud stopped" "pid $DAEMON_BG still running"
	elif [ -n "${STOP_FORCED:-}" ]; then
		result run 0 "virtqemud stopped" "it needed SIGKILL"
	else
		result run 1 "virtqemud stopped"
	fi
	if [ -e "$PIDFILE" ]; then
		result run 0 "virtqemud removed its pid file" "$PIDFILE still there"
	else
		result run 1 "virtqemud removed its pid file"
	fi
	pid=$(domain_procs | tr '\n' ' ')
	if [ -z "$pid" ]; then
		result run 1 "no QEMU process of the daemon left"
	else
		result run 0 "no QEMU process of the daemon left" "pids: $pid"
	fi
	left=""
	for f in "$PREFIX"/etc/libvirt/qemu/*.xml "$RUNDIR"/qemu/*.xml "$RUNDIR"/qemu/*.pid \
		"$PREFIX"/var/lib/libvirt/qemu/domain-*; do
		[ -e "$f" ] && left+=" $f"
	done
	if [ -z "$left" ]; then
		result run 1 "no domain definition, status or private directory left"
	else
		result run 0 "no domain definition, status or private directory left" "left:$left"
	fi
}

write_all() {
	"$PYTHON" - "$TOP/ci" "$WORK" "$RES" "${KERNELS[@]}" <<-'EOF'
		import os, sys
		sys.path.insert(0, sys.argv[1])
		import harness
		work, res, kernels = sys.argv[2], sys.argv[3], sys.argv[4:]

		def steps(name):
		    out = []
		    path = os.path.join(work, name + ".steps")
		    if os.path.exists(path):
		        for line in open(path, encoding="utf-8", errors="replace"):
		            ok, rname, diag = (line.rstrip("\n").split("\t", 2) + ["", ""])[:3]
		            out.append(harness.Result(rname, ok == "ok", diag=diag.replace("\x1f", "\n")))
		    return out

		def facts(name):
		    path = os.path.join(work, name + ".facts")
		    return harness.read_facts(path) if os.path.exists(path) else {}

		failed = 0
		for name, base in [(k, "virsh-e2e-" + k) for k in kernels] + [("run", "virsh-e2e")]:
		    results, f = steps(name), facts(name)
		    console = os.path.join(res, base + ".console")
		    if name != "run" and "vmlinux" in f:
		        text = ""
		        if os.path.exists(console):
		            text = open(console, "rb").read().decode("utf-8", "replace")
		        cres, cfacts = harness.analyse(text)
		        results += cres
		        f = {**cfacts, **f}
		    harness.write_results(os.path.join(res, base), results, f)
		    bad = [r for r in results if not r.ok]
		    failed += len(bad)
		    print(f"libvirt-e2e: {base}: {len(results) - len(bad)}/{len(results)} ok", file=sys.stderr)
		    for r in bad:
		        print(f"libvirt-e2e: {base}: FAILED {r.name}: {r.diag}", file=sys.stderr)
		sys.exit(1 if failed else 0)
	EOF
}

main() {
	local t0 k
	t0=$(now)
	if [ ! -x "$VIRSH" ] || [ ! -f "$OBJ/build.ninja" ]; then
		die "$VIRSH missing: run 'make libvirt' first"
	fi
	[ -x "$EMULATOR" ] || die "$EMULATOR missing (make deps installs Debian's qemu-system-ppc)"
	[ -f "$INITRD" ] || die "$INITRD missing: run 'make initramfs' first"
	mkdir -p "$PREFIX" "$RES"
	exec 9>"$PREFIX/.e2e.lock"
	flock -n 9 || die "another ci/libvirt-e2e.sh runs (lock $PREFIX/.e2e.lock)"
	# The daemon is not part of the minimal build of ci/libvirt.sh; this
	# is incremental (~15 s the first time, mostly ccache).
	nice -n 10 ninja -C "$OBJ" src/virtqemud tools/virsh src/libvirt_driver_qemu.so \
		>"$RES/virsh-e2e.build.log" 2>&1 ||
		{ tail -20 "$RES/virsh-e2e.build.log" >&2; die "ninja of virtqemud failed"; }
	# libvirt's syntax-check rule po_check also scans generated sources of
	# the build dir, and the daemon adds two (its RPC dispatch stubs).
	# ci/libvirt.sh caches that rule's findings on the pristine base tree:
	# drop the cached po_check finding when it predates the stubs, so that
	# the next `make libvirt` recomputes it with the same build dir instead
	# of blaming the series for the daemon's files.
	local sc=$BUILD/src/libvirt-9.0-scbase.findings/po_check
	if [ -f "$sc" ] && [ -n "$(find "$OBJ/src/remote/remote_daemon_dispatch_stubs.h" \
		"$OBJ/src/admin/admin_server_dispatch_stubs.h" -newer "$sc" 2>/dev/null)" ]; then
		rm -f "$sc"
	fi
	rm -rf "$WORK"
	rm -f "$RES"/virsh-e2e.* "$RES"/virsh-e2e-*.{tap,facts}
	write_config
	say "emulator $EMULATOR; kernels: ${KERNELS[*]}; daemon log $RES/virsh-e2e.daemon.log"
	if start_daemon; then
		check_domcaps
		for k in "${KERNELS[@]}"; do
			run_kernel "$k"
		done
		run_bad_input
	fi
	stop_daemon
	check_after_stop
	fact run emulator "$EMULATOR"
	fact run total_seconds "$(since "$t0")"
	say "done in $(since "$t0")s (daemon start to cleanup)"
	write_all
}

main
