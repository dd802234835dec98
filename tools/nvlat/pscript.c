// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: replay of `perf script` text.
 *
 * perf prints one line per sample, "COMM PID/TID [CPU] SECS.USECS: EVENT:
 * TEXT".  COMM may contain blanks ("CPU 0/KVM"), so the header is parsed
 * from the right, starting at the event name.  TEXT is the tracepoint's
 * print format,
 *
 *   VCPU %d: l1_to_l2_cs_time=%llu ns l2_to_l1_cs_time=%llu ns l2_runtime=%llu ns
 *
 * or, when perf cannot use the print format, "name=value" per field
 * (vcpu_id=, l1_to_l2_cs=, ...): both are accepted.  Lines of other events
 * are skipped; anything else is reported with its line number and skipped.
 *
 * The ftrace text of the same event (tracefs trace/trace_pipe, `trace-cmd
 * report`) is read too: "COMM-TID [CPU] FLAGS SECS.USECS: kvmppc_vcpu_stats:
 * TEXT", with "(TGID)" after COMM-TID when the record-tgid option is on,
 * and FLAGS (irq-info, e.g. "d..2.") absent in some setups.
 *
 * For --by-exit, kvm_hv:kvm_guest_exit ("VCPU %d: trap=NAME pc=0x%lx
 * msr=0x%lx, ceded=%d") and kvm_hv:kvm_hcall_enter ("VCPU %d: hcall=NAME
 * GPR4-7=...") lines are read as well, NAME as the kernel's symbol tables
 * print it (or 0x... for a value not in them); "name=value" fields too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nvlat.h"

#define MAX_SHOWN 10

/* The events read, by kind (EV_*): perf's SYS:NAME, ftrace's NAME. */
static const char *const evnames[][2] = {
	[EV_STATS] = { "kvm_hv:kvmppc_vcpu_stats:", "kvmppc_vcpu_stats:" },
	[EV_EXIT] = { "kvm_hv:kvm_guest_exit:", "kvm_guest_exit:" },
	[EV_HCALL] = { "kvm_hv:kvm_hcall_enter:", "kvm_hcall_enter:" },
};

/* NAME at the start of a word of line, or NULL */
static char *find_word(char *line, const char *name)
{
	char *at = strstr(line, name);

	while (at && at > line && !isspace((unsigned char)at[-1]))
		at = strstr(at + 1, name);
	return at;
}

static int is_time_tok(const char *b, const char *e)
{
	const char *p = b;
	int digits = 0;

	if (e - b < 2 || e[-1] != ':')
		return 0;
	for (; p < e - 1 && isdigit((unsigned char)*p); p++)
		digits++;
	if (p < e - 1 && *p == '.')
		for (p++; p < e - 1 && isdigit((unsigned char)*p); p++)
			;
	return digits && p == e - 1;
}

static int parse_time(const char *b, const char *e, uint64_t *ns)
{
	uint64_t s = 0, f = 0, scale = 1000000000ull;

	for (; b < e && isdigit((unsigned char)*b); b++) {
		if (s > 1000000000000ull)
			return -1;
		s = s * 10 + (uint64_t)(*b - '0');
	}
	if (b < e && *b == '.')
		for (b++; b < e && isdigit((unsigned char)*b); b++)
			if (scale > 1) {
				scale /= 10;
				f += (uint64_t)(*b - '0') * scale;
			}
	*ns = s * 1000000000ull + f;
	return 0;
}

/* Another event's sample line: "... SECS.USECS: something: ..." */
static int other_event(const char *line)
{
	const char *p = line;

	if (strstr(line, "PERF_RECORD_"))
		return 1;
	while (*p) {
		const char *b, *e;

		while (*p && isspace((unsigned char)*p))
			p++;
		b = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		e = p;
		if (e > b && is_time_tok(b, e)) {
			while (*p && isspace((unsigned char)*p))
				p++;
			b = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			return p > b && p[-1] == ':';
		}
	}
	return 0;
}

/* The lines `trace-cmd report` prints before the events. */
static int trace_cmd_header(const char *p)
{
	unsigned a;
	char c;

	return sscanf(p, "cpus=%u%c", &a, &c) == 1 ||
	       sscanf(p, "version = %u%c", &a, &c) == 1 ||
	       (sscanf(p, "CPU %u is empty%c", &a, &c) == 1 && strstr(p, "is empty"));
}

static int parse_uint(const char *s, uint64_t *v)
{
	return parse_u64(s, v);
}

static int parse_int(const char *s, int32_t *v)
{
	char *e;
	long x;

	errno = 0;
	x = strtol(s, &e, 10);
	if (errno || e == s || *e || x < INT32_MIN || x > INT32_MAX)
		return -1;
	*v = (int32_t)x;
	return 0;
}

/* The thread's comm is [b, e): copy it, cut to commlen - 1 bytes. */
static void set_comm(char *comm, size_t commlen, const char *b, const char *e)
{
	size_t n = (size_t)(e - b);

	if (n >= commlen)
		n = commlen - 1;
	memcpy(comm, b, n);
	comm[n] = '\0';
}

static int header(char *line, char *evpos, struct nv_event *ev, char *comm,
		  size_t commlen, const char **why)
{
	char *e = evpos, *b;
	uint64_t a, t;

	/* time */
	while (e > line && isspace((unsigned char)e[-1]))
		e--;
	b = e;
	while (b > line && !isspace((unsigned char)b[-1]))
		b--;
	if (!is_time_tok(b, e)) {
		*why = "no timestamp (SECS.USECS:) before the event name";
		return -1;
	}
	parse_time(b, e - 1, &ev->time_ns);
	/* [cpu] */
	for (e = b; e > line && isspace((unsigned char)e[-1]); e--)
		;
	b = e;
	while (b > line && !isspace((unsigned char)b[-1]))
		b--;
	ev->cpu = NV_NOCPU;
	/* ftrace irq-info flags ("d..2.", "....") between [CPU] and the time */
	if (e > b && *b != '[' && e[-1] != ']') {
		const char *q = b;
		char *pe, *pb;

		while (q < e && strchr("dDnNhHsbzZxX.0123456789", *q))
			q++;
		for (pe = b; pe > line && isspace((unsigned char)pe[-1]); pe--)
			;
		pb = pe;
		while (pb > line && !isspace((unsigned char)pb[-1]))
			pb--;
		if (q == e && pe - pb >= 3 && *pb == '[' && pe[-1] == ']') {
			b = pb;
			e = pe;
		}
	}
	if (e - b >= 3 && *b == '[' && e[-1] == ']') {
		char tmp[16];
		size_t n = (size_t)(e - b - 2);

		if (n >= sizeof(tmp) || (memcpy(tmp, b + 1, n), tmp[n] = '\0',
					 parse_u64(tmp, &a)) || a > UINT32_MAX - 1) {
			*why = "bad CPU number";
			return -1;
		}
		ev->cpu = (uint32_t)a;
		for (e = b; e > line && isspace((unsigned char)e[-1]); e--)
			;
		b = e;
		while (b > line && !isspace((unsigned char)b[-1]))
			b--;
	}
	/* ftrace with record-tgid: "(TGID)" or "(-----)" */
	ev->pid = ev->tid = 0;
	if (e - b >= 3 && *b == '(' && e[-1] == ')') {
		char tmp[16];
		size_t n = (size_t)(e - b - 2);

		if (n < sizeof(tmp)) {
			memcpy(tmp, b + 1, n);
			tmp[n] = '\0';
			if (!parse_u64(tmp, &a) && a <= UINT32_MAX)
				ev->pid = (uint32_t)a;
		}
		for (e = b; e > line && isspace((unsigned char)e[-1]); e--)
			;
		b = e;
		while (b > line && !isspace((unsigned char)b[-1]))
			b--;
	}
	/* PID/TID or TID (perf), COMM-TID (ftrace) */
	if (e > b) {
		const char *d = e;

		while (d > b && isdigit((unsigned char)d[-1]))
			d--;
		if (d < e && d > b && d[-1] == '-' && e - d < 11) {
			char tmp[16];

			memcpy(tmp, d, (size_t)(e - d));
			tmp[e - d] = '\0';
			if (!parse_u64(tmp, &a) && a <= UINT32_MAX) {
				ev->tid = (uint32_t)a;
				e = (char *)d - 1;      /* the comm ends at the '-' */
				b = line;
				while (b < e && isspace((unsigned char)*b))
					b++;
				if (e - b == 5 && !memcmp(b, "<...>", 5))
					e = b;  /* ftrace forgot the comm */
				set_comm(comm, commlen, b, e);
				return 0;
			}
		}
	}
	if (e > b && isdigit((unsigned char)*b)) {
		char tmp[32], *slash;
		size_t n = (size_t)(e - b);

		if (n < sizeof(tmp)) {
			memcpy(tmp, b, n);
			tmp[n] = '\0';
			slash = strchr(tmp, '/');
			if (slash)
				*slash = '\0';
			if (!parse_u64(tmp, &a) && a <= UINT32_MAX &&
			    (!slash || (!parse_u64(slash + 1, &t) && t <= UINT32_MAX))) {
				if (slash) {
					ev->pid = (uint32_t)a;
					ev->tid = (uint32_t)t;
				} else {
					ev->tid = (uint32_t)a;
				}
				e = b;
			}
		}
	}
	/* the rest is the thread's comm */
	while (e > line && isspace((unsigned char)e[-1]))
		e--;
	b = line;
	while (b < e && isspace((unsigned char)*b))
		b++;
	set_comm(comm, commlen, b, e);
	return 0;
}

int pscript_parse_line(char *line, struct nv_event *ev, char *comm,
		       size_t commlen, const char **why)
{
	char *p = line, *ev_at = NULL, *tok, *save = NULL;
	int have[1 + NCOMP] = { 0 }, kind = EV_STATS;
	size_t n = strlen(line), evlen = 0;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	for (int form = 0; form < 2 && !ev_at; form++) {
		for (kind = EV_STATS; kind <= EV_HCALL; kind++) {
			ev_at = find_word(line, evnames[kind][form]);
			if (ev_at) {
				evlen = strlen(evnames[kind][form]);
				break;
			}
		}
	}
	if (!ev_at && trace_cmd_header(p))
		return 0;
	if (!ev_at) {
		if (other_event(line))
			return 0;
		*why = "not a `perf script` sample line";
		return -1;
	}
	if (header(line, ev_at, ev, comm, commlen, why))
		return -1;
	ev->kind = (uint32_t)kind;
	if (kind != EV_STATS) {
		have[2] = have[3] = 1;  /* only vcpu and trap/hcall are needed */
		ev->v[0] = ev->v[1] = ev->v[2] = 0;
	}

	for (tok = strtok_r(ev_at + evlen, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '='), *val;
		size_t tl;
		int idx = -1;

		if (strcmp(tok, "VCPU") == 0) {
			char *num = strtok_r(NULL, " \t", &save);

			tl = num ? strlen(num) : 0;
			if (!tl || num[tl - 1] != ':') {
				*why = "bad \"VCPU n:\" field";
				return -1;
			}
			num[tl - 1] = '\0';
			if (parse_int(num, &ev->vcpu)) {
				*why = "bad vCPU number";
				return -1;
			}
			have[0] = 1;
			continue;
		}
		if (!eq)
			continue;       /* "ns" units and anything unknown */
		*eq = '\0';
		val = eq + 1;
		tl = strlen(val);
		if (tl && val[tl - 1] == ',')
			val[--tl] = '\0';
		if (strcmp(tok, "vcpu_id") == 0)
			idx = 0;
		else if (kind != EV_STATS) {
			if (kind == EV_EXIT && !strcmp(tok, "trap")) {
				uint32_t trap;

				if (trap_number(val, &trap)) {
					*why = "bad trap (not a number or a name the kernel prints)";
					return -1;
				}
				ev->v[0] = trap;
				have[1] = 1;
			} else if (kind == EV_EXIT && !strcmp(tok, "ceded")) {
				parse_uint(val, &ev->v[1]);
			} else if (kind == EV_HCALL && (!strcmp(tok, "hcall") || !strcmp(tok, "req"))) {
				if (hcall_number(val, &ev->v[0])) {
					*why = "bad hcall (not a number or a name the kernel prints)";
					return -1;
				}
				have[1] = 1;
			}
			continue;
		} else if (!strcmp(tok, "l1_to_l2_cs_time") || !strcmp(tok, "l1_to_l2_cs"))
			idx = 1 + C_L1L2;
		else if (!strcmp(tok, "l2_to_l1_cs_time") || !strcmp(tok, "l2_to_l1_cs"))
			idx = 1 + C_L2L1;
		else if (!strcmp(tok, "l2_runtime"))
			idx = 1 + C_RUN;
		if (idx < 0)
			continue;
		if (idx == 0 ? parse_int(val, &ev->vcpu) :
			       parse_uint(val, &ev->v[idx - 1])) {
			static char buf[96];

			snprintf(buf, sizeof(buf), "bad value for %s: '%.40s'",
				 idx ? comp_name[idx - 1] : "vcpu_id", val);
			*why = buf;
			return -1;
		}
		have[idx] = 1;
	}
	for (int i = 0; i < 1 + NCOMP; i++) {
		if (!have[i]) {
			static const char *const miss[] = {
				"missing vcpu_id (VCPU n:)", "missing l1_to_l2_cs_time",
				"missing l2_to_l1_cs_time", "missing l2_runtime",
			};
			*why = i == 1 && kind == EV_EXIT ? "missing trap=" :
			       i == 1 && kind == EV_HCALL ? "missing hcall=" : miss[i];
			return -1;
		}
	}
	return 1;
}

long replay_perf_script(const char *path, const struct source_ops *ops)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL, comm[256];
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	long nbad = 0;

	if (!f) {
		msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (f == stdin)
		path = "<stdin>";
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct nv_event ev;
		const char *why = NULL;
		char snip[81];
		int r;

		lineno++;
		snprintf(snip, sizeof(snip), "%s", line);
		snip[strcspn(snip, "\r\n")] = '\0';
		for (char *q = snip; *q; q++)   /* garbled bytes stay off the tty */
			if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
				*q = '?';
		if ((size_t)n != strlen(line)) {
			r = -1;
			why = "binary data (NUL byte) in text";
		} else {
			int cut = n > 0 && line[n - 1] != '\n';

			r = pscript_parse_line(line, &ev, comm, sizeof(comm), &why);
			if (r < 0 && cut)
				why = "truncated last line (the input was cut short)";
		}
		if (r < 0) {
			ops->bad();
			if (++nbad <= MAX_SHOWN)
				msg("%s: line %lu: %s; skipped: %s", path, lineno,
				    why, snip);
			continue;
		}
		if (r == 0)
			continue;
		if (*comm && ev.tid && strcmp(names_thread(ev.tid), comm) != 0)
			ops->task(ev.pid, ev.tid, comm, NULL);
		if (ops->event(&ev))
			break;
	}
	if (ferror(f)) {
		msg("reading %s: %s", path, strerror(errno));
		nbad = -1;      /* no report from part of an input */
	}
	if (nbad > MAX_SHOWN)
		msg("%s: %ld more bad lines not shown", path, nbad - MAX_SHOWN);
	free(line);
	if (f != stdin)
		fclose(f);
	return nbad;
}
