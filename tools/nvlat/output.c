// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: report formatting (table, JSON, CSV, log2 histograms).
 *
 * All times are nanoseconds.  The switch share of a VM or vCPU is
 * (l1_to_l2 + l2_to_l1) / (l1_to_l2 + l2_to_l1 + l2_runtime) over the sums
 * of its events, in percent.
 */
#include <inttypes.h>
#include <string.h>

#include "nvlat.h"

#define MAXPCT 16

void pct_label(char *buf, size_t len, double pct)
{
	snprintf(buf, len, "%.10g", pct);
}

/* Table/CSV text of a name: escaped, cut to max characters with "...". */
static const char *pname(char *buf, size_t len, const char *s, size_t max)
{
	if (!s || !*s)
		return "-";
	name_printable(s, buf, len, max);
	return buf;
}

static double switch_pct(const struct entry *e)
{
	double sw = (double)e->s[C_L1L2].sum + (double)e->s[C_L2L1].sum;
	double all = sw + (double)e->s[C_RUN].sum;

	return all > 0 ? 100.0 * sw / all : 0.0;
}

static double mean(const struct series *s)
{
	return s->n ? (double)s->sum / (double)s->n : 0.0;
}

/* ---- log2 histogram text ---- */
static void size_label(char *buf, size_t len, uint64_t v)
{
	static const char suf[] = { 'K', 'M', 'G', 'T', 'P', 'E' };
	int i = -1;

	while (v >= 1024 && v % 1024 == 0 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, suf[i]);
}

/* --hist=fine: every non-empty log-linear bucket, [lo, hi] inclusive */
static void hist_fine_text(FILE *out, const struct series *s)
{
	unsigned idx = 0;
	uint32_t pos = 0;
	uint64_t c, maxc = 0;

	while ((c = series_next(s, &idx, &pos)) != 0) {
		if (c > maxc)
			maxc = c;
		idx++;
	}
	idx = 0;
	pos = 0;
	while ((c = series_next(s, &idx, &pos)) != 0) {
		char range[64];
		int bar = (int)((c * 40 + maxc - 1) / maxc);

		if (hist_lo(idx) == hist_hi(idx))
			snprintf(range, sizeof(range), "[%" PRIu64 "]", hist_lo(idx));
		else
			snprintf(range, sizeof(range), "[%" PRIu64 ", %" PRIu64 "]",
				 hist_lo(idx), hist_hi(idx));
		fprintf(out, "  %-28s %10" PRIu64 " |%-40.*s|\n", range, c, bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
		idx++;
	}
}

static void hist_text(FILE *out, const struct series *s)
{
	uint64_t b[65], maxc = 0;
	int first = -1, last = -1;

	series_log2(s, b);
	for (int k = 0; k < 65; k++) {
		if (!b[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		if (b[k] > maxc)
			maxc = b[k];
	}
	for (int k = first; k >= 0 && k <= last; k++) {
		char lo[24], hi[24], range[56];
		int bar = maxc ? (int)((b[k] * 40 + maxc - 1) / maxc) : 0;

		if (k == 0) {
			snprintf(range, sizeof(range), "[0]");
		} else if (k == 1) {
			snprintf(range, sizeof(range), "[1]");
		} else {
			size_label(lo, sizeof(lo), (uint64_t)1 << (k - 1));
			if (k == 64)
				snprintf(hi, sizeof(hi), "...");
			else
				size_label(hi, sizeof(hi), (uint64_t)1 << k);
			snprintf(range, sizeof(range), "[%s, %s)", lo, hi);
		}
		fprintf(out, "  %-16s %10" PRIu64 " |%-40.*s|\n", range, b[k], bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	}
}

/* ---- table ---- */
#define NAME_MAX_COLS 64

static size_t width_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* printf %-*s counts bytes; pad by characters instead (UTF-8 names) */
static void put_padded(FILE *out, const char *s, size_t w)
{
	size_t n = width_of(s);

	fputs(s, out);
	for (; n < w; n++)
		fputc(' ', out);
}

static void table_rows(FILE *out, const struct report *r, const struct entry *e,
		       const char *lead, size_t leadw)
{
	for (int c = 0; c < NCOMP; c++) {
		const struct series *s = &e->s[c];
		uint64_t p[MAXPCT];

		series_percentiles(s, r->pct, r->npct, p);
		put_padded(out, c == 0 ? lead : "", leadw);
		fprintf(out, "  %-10s %9" PRIu64 " %10.1f", comp_name[c], s->n, mean(s));
		for (int i = 0; i < r->npct; i++)
			fprintf(out, " %9" PRIu64, p[i]);
		fprintf(out, " %9" PRIu64, s->max);
		if (c == 0)
			fprintf(out, " %8.2f", switch_pct(e));
		fputc('\n', out);
	}
}

static void table_head(FILE *out, const struct report *r, const char *lead, size_t leadw)
{
	char lab[32];

	put_padded(out, lead, leadw);
	fprintf(out, "  %-10s %9s %10s", "COMPONENT", "COUNT", "MEAN");
	for (int i = 0; i < r->npct; i++) {
		char col[40];

		pct_label(lab, sizeof(lab), r->pct[i]);
		snprintf(col, sizeof(col), "P%s", lab);
		fprintf(out, " %9s", col);
	}
	fprintf(out, " %9s %8s\n", "MAX", "SWITCH%");
}

static void table(FILE *out, const struct report *r)
{
	char lead[1400], vmb[300], thb[300];
	size_t vmw = 16, thw = 12;

	fprintf(out, "nvlat %s: %s", NVLAT_VERSION, r->source);
	if (r->intervals)
		fprintf(out, ", interval %u", r->interval);
	fprintf(out, ", %.3f-%.3f s, %" PRIu64 " events, %" PRIu64
		" lost, %" PRIu64 " bad records",
		r->start_s, r->end_s, r->events, r->lost, r->bad);
	if (r->dropped_first || r->dropped_back)
		fprintf(out, ", left out: %" PRIu64 " first per L1 CPU, %" PRIu64
			" backwards", r->dropped_first, r->dropped_back);
	fputc('\n', out);
	if (r->inkernel)
		fprintf(out, "in-kernel (ftrace hist triggers): counts, sums, means exact; "
			"percentiles, min, max are log2 bucket upper bounds\n");
	if (!r->nvms) {
		fprintf(out, "no events\n");
		return;
	}
	/* columns as wide as the longest name (up to NAME_MAX_COLS; a longer
	 * name is cut visibly, ending in "...") */
	for (size_t i = 0; i < r->nvms + r->nvcpus; i++) {
		const struct entry *e = i < r->nvms ? r->vms[i] : r->vcpus[i - r->nvms];
		size_t w = width_of(pname(vmb, sizeof(vmb), names_vm(e->pid), NAME_MAX_COLS));

		if (w > vmw)
			vmw = w;
		if (e->vcpu >= 0) {
			w = width_of(pname(thb, sizeof(thb), names_thread(e->tid), NAME_MAX_COLS));
			if (w > thw)
				thw = w;
		}
	}
	fprintf(out, "\nper VM (times in ns)");
	if (r->top_vms > r->nvms)
		fprintf(out, ", top %zu of %zu", r->nvms, r->top_vms);
	fputc('\n', out);
	snprintf(lead, sizeof(lead), "%-*s %7s %5s", (int)vmw, "VM", "PID", "VCPUS");
	table_head(out, r, lead, vmw + 14);
	for (size_t i = 0; i < r->nvms; i++) {
		const struct entry *e = r->vms[i];
		const char *vm = pname(vmb, sizeof(vmb), names_vm(e->pid), NAME_MAX_COLS);

		snprintf(lead, sizeof(lead), "%s%*s %7u %5u", vm,
			 (int)(vmw - width_of(vm)), "", e->pid, e->nvcpus);
		table_rows(out, r, e, lead, vmw + 14);
	}
	fprintf(out, "\nper vCPU (times in ns)");
	if (r->top_vcpus > r->nvcpus)
		fprintf(out, ", top %zu of %zu", r->nvcpus, r->top_vcpus);
	fputc('\n', out);
	snprintf(lead, sizeof(lead), "%-*s %7s %5s %7s  %-*s", (int)vmw, "VM", "PID",
		 "VCPU", "TID", (int)thw, "THREAD");
	table_head(out, r, lead, vmw + thw + 24);
	for (size_t i = 0; i < r->nvcpus; i++) {
		const struct entry *e = r->vcpus[i];
		const char *vm = pname(vmb, sizeof(vmb), names_vm(e->pid), NAME_MAX_COLS);
		const char *th = pname(thb, sizeof(thb), names_thread(e->tid), NAME_MAX_COLS);

		snprintf(lead, sizeof(lead), "%s%*s %7u %5d %7u  %s%*s", vm,
			 (int)(vmw - width_of(vm)), "", e->pid, e->vcpu, e->tid,
			 th, (int)(thw - width_of(th)), "");
		table_rows(out, r, e, lead, vmw + thw + 24);
	}
	if (!r->hist)
		return;
	for (size_t i = 0; i < r->nvms + r->nvcpus; i++) {
		const struct entry *e = i < r->nvms ? r->vms[i] : r->vcpus[i - r->nvms];
		const char *vm = pname(vmb, sizeof(vmb), names_vm(e->pid), 256);

		for (int c = 0; c < NCOMP; c++) {
			if (e->vcpu < 0)
				fprintf(out, "\nVM %s (pid %u), %s (ns):\n",
					vm, e->pid, comp_name[c]);
			else
				fprintf(out, "\nVM %s (pid %u) vCPU %d (tid %u, %s), %s (ns):\n",
					vm, e->pid, e->vcpu, e->tid,
					pname(thb, sizeof(thb), names_thread(e->tid), 256),
					comp_name[c]);
			if (r->hist == HIST_FINE)
				hist_fine_text(out, &e->s[c]);
			else
				hist_text(out, &e->s[c]);
		}
	}
}

/* ---- JSON ---- */
void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = utf8_len(p);

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (n > 1) {
			fwrite(p, 1, (size_t)n, out);
			p += n;
			continue;
		} else if (n == 1)
			fputc(*p, out);
		else            /* not UTF-8: U+FFFD, so the JSON stays valid */
			fputs("\\ufffd", out);
		p++;
	}
	fputc('"', out);
}

static void json_entry(FILE *out, const struct report *r, const struct entry *e, int hist)
{
	fprintf(out, "{\"vm\":");
	json_str(out, names_vm(e->pid));
	fprintf(out, ",\"pid\":%u", e->pid);
	if (e->vcpu < 0) {
		fprintf(out, ",\"vcpus\":%u", e->nvcpus);
	} else {
		fprintf(out, ",\"vcpu\":%d,\"tid\":%u,\"thread\":", e->vcpu, e->tid);
		json_str(out, names_thread(e->tid));
	}
	fprintf(out, ",\"events\":%" PRIu64 ",\"switch_pct\":%.2f",
		e->s[0].n, switch_pct(e));
	for (int c = 0; c < NCOMP; c++) {
		const struct series *s = &e->s[c];
		uint64_t p[MAXPCT];
		char lab[32];

		series_percentiles(s, r->pct, r->npct, p);
		fprintf(out, ",\"%s\":{\"count\":%" PRIu64 ",\"sum\":%" PRIu64
			",\"min\":%" PRIu64 ",\"mean\":%.1f",
			comp_name[c], s->n, s->sum, s->min, mean(s));
		for (int i = 0; i < r->npct; i++) {
			pct_label(lab, sizeof(lab), r->pct[i]);
			fprintf(out, ",\"p%s\":%" PRIu64, lab, p[i]);
		}
		fprintf(out, ",\"max\":%" PRIu64, s->max);
		if (hist == HIST_FINE) {
			unsigned idx = 0;
			uint32_t pos = 0;
			uint64_t cnt;
			int n = 0;

			/* mergeable: the bounds are the same in every report */
			fprintf(out, ",\"hist\":[");
			while ((cnt = series_next(s, &idx, &pos)) != 0) {
				fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]",
					n++ ? "," : "", hist_lo(idx), hist_hi(idx), cnt);
				idx++;
			}
			fputc(']', out);
		} else if (hist) {
			uint64_t b[65];
			int n = 0;

			series_log2(s, b);
			fprintf(out, ",\"log2_hist\":[");
			for (int k = 0; k < 65; k++) {
				if (!b[k])
					continue;
				fprintf(out, "%s{\"ge\":%" PRIu64 ",\"lt\":", n++ ? "," : "",
					k ? (uint64_t)1 << (k - 1) : (uint64_t)0);
				if (k == 64)
					fprintf(out, "null");
				else
					fprintf(out, "%" PRIu64, k ? (uint64_t)1 << k : (uint64_t)1);
				fprintf(out, ",\"count\":%" PRIu64 "}", b[k]);
			}
			fputc(']', out);
		}
		fputc('}', out);
	}
	fputc('}', out);
}

static void json(FILE *out, const struct report *r)
{
	fprintf(out, "{\"tool\":\"nvlat\",\"version\":\"%s\",\"source\":\"%s\","
		"\"interval\":%u,\"start_s\":%.6f,\"end_s\":%.6f,\"events\":%" PRIu64
		",\"lost\":%" PRIu64 ",\"bad_records\":%" PRIu64
		",\"dropped_first\":%" PRIu64 ",\"dropped_backwards\":%" PRIu64,
		NVLAT_VERSION, r->source, r->interval, r->start_s, r->end_s,
		r->events, r->lost, r->bad, r->dropped_first, r->dropped_back);
	/* the time range in the input's clock (CLOCK_MONOTONIC live, what
	 * perf/ftrace printed), to line reports up with their output */
	fprintf(out, ",\"start_clock_s\":%" PRIu64 ".%09" PRIu64 ",\"end_clock_s\":%"
		PRIu64 ".%09" PRIu64, r->start_ns / 1000000000u, r->start_ns % 1000000000u,
		r->end_ns / 1000000000u, r->end_ns % 1000000000u);
	if (r->top_vms > r->nvms || r->top_vcpus > r->nvcpus)
		fprintf(out, ",\"vms_total\":%zu,\"vcpus_total\":%zu",
			r->top_vms, r->top_vcpus);
	fprintf(out, ",\"vms\":[");
	for (size_t i = 0; i < r->nvms; i++) {
		if (i)
			fputc(',', out);
		json_entry(out, r, r->vms[i], r->hist);
	}
	fprintf(out, "],\"vcpus\":[");
	for (size_t i = 0; i < r->nvcpus; i++) {
		if (i)
			fputc(',', out);
		json_entry(out, r, r->vcpus[i], r->hist);
	}
	fputc(']', out);
	if (r->by_exit)
		exits_json(out, r);
	fprintf(out, "}\n");
}

/* ---- CSV ---- */
void csv_str(FILE *out, const char *s)
{
	char buf[1024];

	/* bytes that are not printable UTF-8 as \xNN, like the table */
	name_printable(s, buf, sizeof(buf), sizeof(buf));
	s = buf;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void output_csv_header(FILE *out, const double *pct, int npct, int hist, int top)
{
	char lab[32];

	fprintf(out, "interval,start_s,end_s,scope,vm,pid,vcpu,tid,thread,"
		"component,count,sum_ns,min_ns,mean_ns,");
	for (int i = 0; i < npct; i++) {
		pct_label(lab, sizeof(lab), pct[i]);
		fprintf(out, "p%s_ns,", lab);
	}
	/* with --top, how many VMs and vCPUs there were before the cut */
	fprintf(out, "max_ns,switch_pct,events,lost,bad_records,dropped_first,"
		"dropped_backwards,%s%s\n", top ? "vms_total,vcpus_total," : "",
		hist == HIST_FINE ? "hist" : "log2_hist");
}

static void csv_entry(FILE *out, const struct report *r, const struct entry *e)
{
	for (int c = 0; c < NCOMP; c++) {
		const struct series *s = &e->s[c];
		uint64_t p[MAXPCT];

		series_percentiles(s, r->pct, r->npct, p);
		fprintf(out, "%u,%.6f,%.6f,%s,", r->interval, r->start_s, r->end_s,
			e->vcpu < 0 ? "vm" : "vcpu");
		csv_str(out, names_vm(e->pid));
		if (e->vcpu < 0) {
			fprintf(out, ",%u,,,,", e->pid);
		} else {
			fprintf(out, ",%u,%d,%u,", e->pid, e->vcpu, e->tid);
			csv_str(out, names_thread(e->tid));
			fputc(',', out);
		}
		fprintf(out, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,",
			comp_name[c], s->n, s->sum, s->min, mean(s));
		for (int i = 0; i < r->npct; i++)
			fprintf(out, "%" PRIu64 ",", p[i]);
		fprintf(out, "%" PRIu64 ",%.2f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",",
			s->max, switch_pct(e), r->events, r->lost, r->bad,
			r->dropped_first, r->dropped_back);
		if (r->top)
			fprintf(out, "%zu,%zu,", r->top_vms, r->top_vcpus);
		if (r->hist == HIST_FINE) {
			unsigned idx = 0;
			uint32_t pos = 0;
			uint64_t cnt;
			int n = 0;

			while ((cnt = series_next(s, &idx, &pos)) != 0) {
				fprintf(out, "%s%" PRIu64 "-%" PRIu64 ":%" PRIu64, n++ ? ";" : "",
					hist_lo(idx), hist_hi(idx), cnt);
				idx++;
			}
		} else if (r->hist) {
			uint64_t b[65];
			int n = 0;

			series_log2(s, b);
			for (int k = 0; k < 65; k++)
				if (b[k])
					fprintf(out, "%s%" PRIu64 ":%" PRIu64, n++ ? ";" : "",
						k ? (uint64_t)1 << (k - 1) : (uint64_t)0, b[k]);
		}
		fputc('\n', out);
	}
}

static void csv(FILE *out, const struct report *r)
{
	if (!r->nvms) {
		/* keep the interval visible (and its lost count) */
		fprintf(out, "%u,%.6f,%.6f,none,,,,,,,0,0,0,0.0,", r->interval,
			r->start_s, r->end_s);
		for (int i = 0; i < r->npct; i++)
			fputs("0,", out);
		fprintf(out, "0,0.00,0,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%s\n", r->lost, r->bad, r->dropped_first, r->dropped_back,
			r->top ? "0,0," : "");
		return;
	}
	for (size_t i = 0; i < r->nvms; i++)
		csv_entry(out, r, r->vms[i]);
	for (size_t i = 0; i < r->nvcpus; i++)
		csv_entry(out, r, r->vcpus[i]);
}

void output_report(FILE *out, const struct report *r)
{
	switch (r->format) {
	case OUT_JSON:
		json(out, r);
		break;
	case OUT_CSV:
		csv(out, r);
		break;
	default:
		table(out, r);
		if (r->by_exit)
			exits_table(out, r);
		break;
	}
	fflush(out);
}
