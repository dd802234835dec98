// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat heatmap: an SVG latency heatmap of the events a report would count.
 *
 * x is time, in columns of a fixed width (-i SECS, or automatic: it starts
 * at 1 ms and doubles, merging columns, whenever there would be more than
 * HM_MAXCOLS); y is the value, in buckets of a quarter octave (values below
 * 8 exact; then [2^k, 2^(k+1)) in four equal parts); a cell's colour is
 * its count on a log scale.  One panel per component (default), or one per
 * vCPU of one component (--by vcpu, --component NAME).
 *
 * The numbers are in the SVG, so a test can check them against the report:
 * the root element has data-t0-ns and data-col-ns, each panel a data-total,
 * and each cell data-col, data-lo, data-hi and data-count (and a <title>
 * for a viewer's tooltip).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nvlat.h"

#define HM_NB 256               /* quarter-octave buckets of a u64 */
#define HM_MAXCOLS 512
#define HM_MAXPANELS 256
#define PLOT_W 960
#define ROW_H 8

struct panel {
	uint32_t pid, tid;
	int32_t vcpu;           /* -1: a component panel */
	int comp;
	uint64_t total;
	uint32_t *cnt;          /* cols x HM_NB */
};

static struct {
	int by_vcpu, comp;
	uint64_t col_ns;        /* column width */
	int fixed;              /* -i given: never merged */
	int have_t0;
	uint64_t t0;
	size_t cols, capcols;   /* columns used, allocated */
	struct panel *p;
	size_t np;
	int too_many;
} H;

unsigned heat_bucket(uint64_t v)
{
	unsigned k;

	if (v < 8)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v);
	return 4 * k + (unsigned)((v >> (k - 2)) & 3) - 4;
}

uint64_t heat_lo(unsigned b)
{
	unsigned k = b / 4 + 1;

	if (b < 8)
		return b;
	return (uint64_t)(4 + b % 4) << (k - 2);
}

uint64_t heat_hi(unsigned b)      /* inclusive */
{
	return b + 1 >= HM_NB || heat_lo(b + 1) == 0 ? UINT64_MAX : heat_lo(b + 1) - 1;
}

void heat_init(int by_vcpu, int comp, uint64_t col_ns)
{
	memset(&H, 0, sizeof(H));
	H.by_vcpu = by_vcpu;
	H.comp = comp;
	H.fixed = col_ns != 0;
	H.col_ns = col_ns ? col_ns : 1000000;
	H.capcols = HM_MAXCOLS;
}

static struct panel *panel(uint32_t pid, uint32_t tid, int32_t vcpu, int comp)
{
	for (size_t i = 0; i < H.np; i++)
		if (H.p[i].pid == pid && H.p[i].vcpu == vcpu && H.p[i].comp == comp)
			return &H.p[i];
	if (H.np == HM_MAXPANELS) {
		H.too_many = 1;
		return NULL;
	}
	H.p = xrealloc(H.p, (H.np + 1) * sizeof(*H.p));
	memset(&H.p[H.np], 0, sizeof(*H.p));
	H.p[H.np].pid = pid;
	H.p[H.np].tid = tid;
	H.p[H.np].vcpu = vcpu;
	H.p[H.np].comp = comp;
	H.p[H.np].cnt = xcalloc(H.capcols * HM_NB, sizeof(uint32_t));
	return &H.p[H.np++];
}

/* Twice as wide columns: column c goes into c / 2. */
static void merge_cols(void)
{
	for (size_t i = 0; i < H.np; i++) {
		uint32_t *c = H.p[i].cnt;

		for (size_t col = 0; col < H.cols; col++) {
			if (col / 2 == col)
				continue;
			for (unsigned b = 0; b < HM_NB; b++) {
				c[(col / 2) * HM_NB + b] += c[col * HM_NB + b];
				c[col * HM_NB + b] = 0;
			}
		}
	}
	H.col_ns *= 2;
	H.cols = (H.cols + 1) / 2;
}

static void grow_cols(size_t need)
{
	size_t cap = H.capcols;

	while (cap < need)
		cap *= 2;
	for (size_t i = 0; i < H.np; i++) {
		H.p[i].cnt = xrealloc(H.p[i].cnt, cap * HM_NB * sizeof(uint32_t));
		memset(H.p[i].cnt + H.capcols * HM_NB, 0,
		       (cap - H.capcols) * HM_NB * sizeof(uint32_t));
	}
	H.capcols = cap;
}

/* An event the report counts.  Returns -1 when there are too many columns
 * (-i too small for the input) or panels. */
int heat_add(const struct nv_event *ev)
{
	uint64_t col;

	if (!H.have_t0) {
		H.have_t0 = 1;
		H.t0 = ev->time_ns;
	}
	col = ev->time_ns > H.t0 ? (ev->time_ns - H.t0) / H.col_ns : 0;
	while (!H.fixed && col >= HM_MAXCOLS) {
		merge_cols();
		col = (ev->time_ns - H.t0) / H.col_ns;
	}
	if (H.fixed && col >= H.capcols) {
		if (col >= 8 * HM_MAXCOLS)
			return -1;
		grow_cols(col + 1);
	}
	if (col + 1 > H.cols)
		H.cols = col + 1;
	for (int c = 0; c < NCOMP; c++) {
		struct panel *p;

		if (H.by_vcpu && c != H.comp)
			continue;
		p = H.by_vcpu ? panel(ev->pid, ev->tid, ev->vcpu, c) : panel(0, 0, -1, c);
		if (!p)
			return -1;
		p->cnt[col * HM_NB + heat_bucket(ev->v[c])]++;
		p->total++;
	}
	return 0;
}

int heat_too_many_panels(void)
{
	return H.too_many;
}

uint64_t heat_events(void)
{
	uint64_t n = 0;

	for (size_t i = 0; i < H.np; i++)
		if (H.p[i].comp == (H.by_vcpu ? H.comp : 0))
			n += H.p[i].total;
	return n;
}

/* log2(x) for x >= 1 without libm: the integer part, then the fraction
 * bit by bit (squaring); 16 bits are plenty for a colour */
static double lg2(double x)
{
	double r = 0, bit = 0.5;

	while (x >= 2) {
		x /= 2;
		r += 1;
	}
	for (int i = 0; i < 16; i++, bit /= 2) {
		x *= x;
		if (x >= 2) {
			x /= 2;
			r += bit;
		}
	}
	return r;
}

/* 2^y for y >= 0 (the legend), by the same bits */
static double exp2_(double y)
{
	double r = 1, f;

	while (y >= 1) {
		r *= 2;
		y -= 1;
	}
	f = 1.4142135623730951;         /* 2^(1/2), then its square roots */
	for (int i = 0; i < 16; i++) {
		if (y >= 0.5) {
			r *= f;
			y -= 0.5;
		}
		y *= 2;
		/* sqrt by Newton, a few steps from f */
		{
			double g = f;

			for (int k = 0; k < 6; k++)
				g = (g + f / g) / 2;
			f = g;
		}
	}
	return r;
}

/* count -> colour, log scale, from dark blue through green to yellow */
static void colour(uint32_t c, uint32_t max, char *buf, size_t len)
{
	static const unsigned char stops[5][3] = {
		{ 68, 1, 84 }, { 59, 82, 139 }, { 33, 145, 140 },
		{ 94, 201, 98 }, { 253, 231, 37 },
	};
	double f = max > 1 ? lg2((double)c) / lg2((double)max) : 1.0;
	int i;
	double t;

	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	i = f >= 1 ? 3 : (int)(f * 4);
	t = f * 4 - i;
	snprintf(buf, len, "#%02x%02x%02x",
		 (unsigned)(stops[i][0] + t * (stops[i + 1][0] - stops[i][0]) + 0.5),
		 (unsigned)(stops[i][1] + t * (stops[i + 1][1] - stops[i][1]) + 0.5),
		 (unsigned)(stops[i][2] + t * (stops[i + 1][2] - stops[i][2]) + 0.5));
}

static void xml_str(FILE *out, const char *s)
{
	char buf[512];

	name_printable(s, buf, sizeof(buf), 128);
	for (const char *p = buf; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*p, out); break;
		}
	}
}

static void ns_label(uint64_t v, char *buf, size_t len)
{
	if (v >= 1000000000ull)
		snprintf(buf, len, "%.3g s", (double)v / 1e9);
	else if (v >= 1000000)
		snprintf(buf, len, "%.3g ms", (double)v / 1e6);
	else if (v >= 1000)
		snprintf(buf, len, "%.3g us", (double)v / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " ns", v);
}

/* a panel's plot height: its rows, but room for the legend */
static int panel_h(unsigned lo, unsigned hi)
{
	int h = (int)(hi - lo + 1) * ROW_H;

	return h < 62 ? 62 : h;
}

static int cmp_panel(const void *a, const void *b)
{
	const struct panel *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	return x->comp - y->comp;
}

/* Write the SVG; -1 on a write error (message printed). */
int heat_write(const char *path, const char *source)
{
	FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	size_t cw1 = H.cols ? PLOT_W / H.cols : PLOT_W;
	int cw = cw1 ? (int)cw1 : 1;   /* whole pixels: no seams between cells */
	int y = 40, width = PLOT_W + 190, err;
	char lab[64], col[16];

	if (!out) {
		msg("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	qsort(H.p, H.np, sizeof(*H.p), cmp_panel);
	/* height: each panel's rows between its lowest and highest bucket */
	for (size_t i = 0; i < H.np; i++) {
		unsigned lo = HM_NB, hi = 0;

		for (size_t c = 0; c < H.cols; c++)
			for (unsigned b = 0; b < HM_NB; b++)
				if (H.p[i].cnt[c * HM_NB + b]) {
					lo = b < lo ? b : lo;
					hi = b > hi ? b : hi;
				}
		y += 60 + panel_h(lo, hi);
	}
	width = 90 + (int)H.cols * cw + 200;
	if (width < 760)
		width = 760;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"DejaVu Sans\" font-size=\"11\" data-tool=\"nvlat %s\" "
		"data-source=\"%s\" data-t0-ns=\"%" PRIu64 "\" data-col-ns=\"%" PRIu64
		"\" data-cols=\"%zu\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		width, y + 20, NVLAT_VERSION, source, H.t0, H.col_ns, H.cols);
	ns_label(H.col_ns, lab, sizeof(lab));
	fprintf(out, "<text x=\"10\" y=\"20\" font-size=\"13\">nvlat heatmap (%s): x time "
		"from %" PRIu64 ".%09" PRIu64 " s, columns of %s; y value, quarter "
		"octaves; colour events per cell (log)</text>\n", source,
		H.t0 / 1000000000u, H.t0 % 1000000000u, lab);
	y = 40;
	for (size_t i = 0; i < H.np; i++) {
		const struct panel *p = &H.p[i];
		unsigned lo = HM_NB, hi = 0;
		uint32_t max = 0;
		int top, ph;

		for (size_t c = 0; c < H.cols; c++)
			for (unsigned b = 0; b < HM_NB; b++) {
				uint32_t n = p->cnt[c * HM_NB + b];

				if (!n)
					continue;
				lo = b < lo ? b : lo;
				hi = b > hi ? b : hi;
				max = n > max ? n : max;
			}
		top = y + 20;
		ph = panel_h(lo, hi);
		fprintf(out, "<g class=\"panel\" data-component=\"%s\" data-total=\"%" PRIu64
			"\"", comp_name[p->comp], p->total);
		if (p->vcpu >= 0)
			fprintf(out, " data-pid=\"%u\" data-vcpu=\"%d\" data-tid=\"%u\"",
				p->pid, p->vcpu, p->tid);
		fprintf(out, ">\n<text x=\"10\" y=\"%d\" font-size=\"13\">%s", y + 12,
			comp_name[p->comp]);
		if (p->vcpu >= 0) {
			fputs(" of VM ", out);
			xml_str(out, *names_vm(p->pid) ? names_vm(p->pid) : "-");
			fprintf(out, " (pid %u) vCPU %d (tid %u)", p->pid, p->vcpu, p->tid);
		}
		fprintf(out, ": %" PRIu64 " events, at most %u per cell</text>\n",
			p->total, max);
		/* y axis: a label at each power of two (or the lowest row) */
		for (unsigned b = lo; b <= hi; b++) {
			int ry = top + (int)(hi - b) * ROW_H;

			if (b % 4 == 0 || (b == lo && hi - lo < 4 && hi / 4 == lo / 4)) {
				ns_label(heat_lo(b), lab, sizeof(lab));
				fprintf(out, "<text x=\"85\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
					ry + ROW_H, lab);
			}
		}
		fprintf(out, "<rect x=\"89\" y=\"%d\" width=\"%zu\" height=\"%d\" "
			"fill=\"#f4f4f4\" stroke=\"#999\"/>\n", top, H.cols * (size_t)cw + 2,
			ph + 2);
		for (size_t c = 0; c < H.cols; c++) {
			for (unsigned b = lo; b <= hi; b++) {
				uint32_t n = p->cnt[c * HM_NB + b];
				uint64_t t = c * H.col_ns;

				if (!n)
					continue;
				colour(n, max, col, sizeof(col));
				fprintf(out, "<rect x=\"%zu\" y=\"%d\" width=\"%d\" height=\"%d\" "
					"fill=\"%s\" stroke=\"none\" data-col=\"%zu\" data-lo=\"%" PRIu64 "\" data-hi=\"%"
					PRIu64 "\" data-count=\"%u\"><title>%" PRIu64 ".%03" PRIu64
					" s, %" PRIu64 "-%" PRIu64 " ns: %u</title></rect>\n",
					90 + c * (size_t)cw, top + 1 + (int)(hi - b) * ROW_H, cw, ROW_H,
					col, c, heat_lo(b), heat_hi(b), n, t / 1000000000u,
					(t % 1000000000u) / 1000000u, heat_lo(b), heat_hi(b), n);
			}
		}
		/* x axis: about 8 labels */
		for (size_t c = 0; c < H.cols; c += H.cols / 8 ? H.cols / 8 : 1)
			fprintf(out, "<text x=\"%zu\" y=\"%d\" text-anchor=\"middle\">%.3f s</text>\n",
				90 + c * (size_t)cw, top + ph + 16,
				(double)(c * H.col_ns) / 1e9);
		/* legend: the colour scale */
		for (int k = 0, nk = max > 1 ? 5 : 1; k < nk; k++) {
			uint32_t v = max > 1 ? (uint32_t)(exp2_(lg2((double)max) * k / 4.0) + 0.5) : 1;

			colour(v, max, col, sizeof(col));
			fprintf(out, "<rect x=\"%zu\" y=\"%d\" width=\"14\" height=\"10\" "
				"fill=\"%s\" stroke=\"none\"/>\n<text x=\"%zu\" y=\"%d\">%u</text>\n",
				100 + H.cols * (size_t)cw, top + k * 12, col,
				120 + H.cols * (size_t)cw, top + k * 12 + 9, v);
		}
		fputs("</g>\n", out);
		y += 60 + ph;
	}
	fputs("</svg>\n", out);
	err = ferror(out);
	if (fflush(out))
		err = 1;
	if (out != stdout && fclose(out))
		err = 1;
	if (err) {
		msg("writing %s: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

void heat_free(void)
{
	for (size_t i = 0; i < H.np; i++)
		free(H.p[i].cnt);
	free(H.p);
	H.p = NULL;
	H.np = 0;
}
