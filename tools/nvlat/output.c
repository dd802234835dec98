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

static const double pcts[3] = { 50.0, 90.0, 99.0 };

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

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
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
static void table_rows(FILE *out, const struct entry *e, const char *lead,
		       size_t leadw)
{
	for (int c = 0; c < NCOMP; c++) {
		const struct series *s = &e->s[c];
		uint64_t p[3];

		series_percentiles(s, pcts, 3, p);
		fprintf(out, "%-*s  %-10s %9" PRIu64 " %10.1f %9" PRIu64 " %9" PRIu64
			" %9" PRIu64 " %9" PRIu64,
			(int)leadw, c == 0 ? lead : "", comp_name[c], s->n, mean(s),
			p[0], p[1], p[2], s->max);
		if (c == 0)
			fprintf(out, " %8.2f", switch_pct(e));
		fputc('\n', out);
	}
}

static void table(FILE *out, const struct report *r)
{
	char lead[160];

	fprintf(out, "nvlat %s: %s", NVLAT_VERSION, r->source);
	if (r->intervals)
		fprintf(out, ", interval %u", r->interval);
	fprintf(out, ", %.3f-%.3f s, %" PRIu64 " events, %" PRIu64
		" lost, %" PRIu64 " bad records\n",
		r->start_s, r->end_s, r->events, r->lost, r->bad);
	if (!r->nvms) {
		fprintf(out, "no events\n");
		return;
	}
	fprintf(out, "\nper VM (times in ns)\n");
	snprintf(lead, sizeof(lead), "%-16s %7s %5s", "VM", "PID", "VCPUS");
	fprintf(out, "%s  %-10s %9s %10s %9s %9s %9s %9s %8s\n", lead, "COMPONENT",
		"COUNT", "MEAN", "P50", "P90", "P99", "MAX", "SWITCH%");
	for (size_t i = 0; i < r->nvms; i++) {
		const struct entry *e = r->vms[i];

		snprintf(lead, sizeof(lead), "%-16.16s %7u %5u",
			 dash(names_vm(e->pid)), e->pid, e->nvcpus);
		table_rows(out, e, lead, 30);
	}
	fprintf(out, "\nper vCPU (times in ns)\n");
	snprintf(lead, sizeof(lead), "%-16s %7s %5s %7s  %-12s", "VM", "PID",
		 "VCPU", "TID", "THREAD");
	fprintf(out, "%s  %-10s %9s %10s %9s %9s %9s %9s %8s\n", lead, "COMPONENT",
		"COUNT", "MEAN", "P50", "P90", "P99", "MAX", "SWITCH%");
	for (size_t i = 0; i < r->nvcpus; i++) {
		const struct entry *e = r->vcpus[i];

		snprintf(lead, sizeof(lead), "%-16.16s %7u %5d %7u  %-12.12s",
			 dash(names_vm(e->pid)), e->pid, e->vcpu, e->tid,
			 dash(names_thread(e->tid)));
		table_rows(out, e, lead, 52);
	}
	if (!r->hist)
		return;
	for (size_t i = 0; i < r->nvms + r->nvcpus; i++) {
		const struct entry *e = i < r->nvms ? r->vms[i] : r->vcpus[i - r->nvms];

		for (int c = 0; c < NCOMP; c++) {
			if (e->vcpu < 0)
				fprintf(out, "\nVM %s (pid %u), %s (ns):\n",
					dash(names_vm(e->pid)), e->pid, comp_name[c]);
			else
				fprintf(out, "\nVM %s (pid %u) vCPU %d (tid %u, %s), %s (ns):\n",
					dash(names_vm(e->pid)), e->pid, e->vcpu,
					e->tid, dash(names_thread(e->tid)),
					comp_name[c]);
			hist_text(out, &e->s[c]);
		}
	}
}

/* ---- JSON ---- */
void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_entry(FILE *out, const struct entry *e, int hist)
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
		uint64_t p[3];

		series_percentiles(s, pcts, 3, p);
		fprintf(out, ",\"%s\":{\"count\":%" PRIu64 ",\"sum\":%" PRIu64
			",\"min\":%" PRIu64 ",\"mean\":%.1f,\"p50\":%" PRIu64
			",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64,
			comp_name[c], s->n, s->sum, s->min, mean(s), p[0], p[1],
			p[2], s->max);
		if (hist) {
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
		",\"lost\":%" PRIu64 ",\"bad_records\":%" PRIu64 ",\"vms\":[",
		NVLAT_VERSION, r->source, r->interval, r->start_s, r->end_s,
		r->events, r->lost, r->bad);
	for (size_t i = 0; i < r->nvms; i++) {
		if (i)
			fputc(',', out);
		json_entry(out, r->vms[i], r->hist);
	}
	fprintf(out, "],\"vcpus\":[");
	for (size_t i = 0; i < r->nvcpus; i++) {
		if (i)
			fputc(',', out);
		json_entry(out, r->vcpus[i], r->hist);
	}
	fprintf(out, "]}\n");
}

/* ---- CSV ---- */
void csv_str(FILE *out, const char *s)
{
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

void output_csv_header(FILE *out)
{
	fprintf(out, "interval,start_s,end_s,scope,vm,pid,vcpu,tid,thread,"
		"component,count,sum_ns,min_ns,mean_ns,p50_ns,p90_ns,p99_ns,"
		"max_ns,switch_pct,events,lost,bad_records,log2_hist\n");
}

static void csv_entry(FILE *out, const struct report *r, const struct entry *e)
{
	for (int c = 0; c < NCOMP; c++) {
		const struct series *s = &e->s[c];
		uint64_t p[3];

		series_percentiles(s, pcts, 3, p);
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
		fprintf(out, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.2f,%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",",
			comp_name[c], s->n, s->sum, s->min, mean(s), p[0], p[1], p[2],
			s->max, switch_pct(e), r->events, r->lost, r->bad);
		if (r->hist) {
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
		fprintf(out, "%u,%.6f,%.6f,none,,,,,,,0,0,0,0.0,0,0,0,0,0.00,0,%"
			PRIu64 ",%" PRIu64 ",\n", r->interval, r->start_s, r->end_s,
			r->lost, r->bad);
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
		break;
	}
	fflush(out);
}
