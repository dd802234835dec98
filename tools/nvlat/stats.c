// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: latency statistics.
 *
 * Every series keeps count/sum/min/max exactly and a log-linear histogram
 * for percentiles: values below 2 * HIST_SUB (256) have a bucket each; above
 * that, each power of two is split into HIST_SUB (128) equal buckets, so a
 * bucket is at most 1/128 of its value wide.  A percentile is reported as
 * the middle of its bucket clamped to [min, max]: exact below 256 ns and
 * within 0.4% above.  Memory does not grow with the event count (which
 * matters for long live runs): a group of HIST_SUB counters is allocated
 * for each power of two that occurs, at most HIST_NGROUPS of them.
 */
#include <stdlib.h>
#include <string.h>

#include "nvlat.h"

const char *const comp_name[NCOMP] = { "l1_to_l2", "l2_to_l1", "l2_runtime" };

static unsigned msb64(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

unsigned hist_index(uint64_t v)
{
	unsigned shift;

	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	shift = msb64(v) - HIST_SUB_BITS;   /* >= 1 */
	return 2 * HIST_SUB + (shift - 1) * HIST_SUB +
	       (unsigned)((v >> shift) - HIST_SUB);
}

uint64_t hist_lo(unsigned idx)
{
	unsigned shift;

	if (idx < 2 * HIST_SUB)
		return idx;
	shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
	return ((uint64_t)(HIST_SUB + (idx - 2 * HIST_SUB) % HIST_SUB)) << shift;
}

uint64_t hist_hi(unsigned idx)
{
	unsigned shift;

	if (idx < 2 * HIST_SUB)
		return idx;
	shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
	return hist_lo(idx) + ((1ull << shift) - 1);
}

static void to_dense(struct series *s)
{
	s->grp = xcalloc(HIST_NGROUPS, sizeof(*s->grp));
	for (uint32_t i = 0; i < s->nsp; i++) {
		unsigned idx = s->sp[i].idx;
		uint64_t **g = &s->grp[idx / HIST_SUB];

		if (!*g)
			*g = xcalloc(HIST_SUB, sizeof(**g));
		(*g)[idx % HIST_SUB] += s->sp[i].cnt;
	}
	free(s->sp);
	s->sp = NULL;
	s->nsp = s->capsp = 0;
}

uint64_t series_bucket(const struct series *s, unsigned idx)
{
	if (s->grp) {
		const uint64_t *g = s->grp[idx / HIST_SUB];

		return g ? g[idx % HIST_SUB] : 0;
	}
	for (uint32_t i = 0; i < s->nsp; i++)
		if (s->sp[i].idx == idx)
			return s->sp[i].cnt;
	return 0;
}

/* Next non-empty bucket at or after *idx: its count, or 0 at the end. */
uint64_t series_next(const struct series *s, unsigned *idx, uint32_t *pos)
{
	if (!s->grp) {
		for (; *pos < s->nsp; (*pos)++) {
			if (s->sp[*pos].idx >= *idx && s->sp[*pos].cnt) {
				*idx = s->sp[*pos].idx;
				return s->sp[*pos].cnt;
			}
		}
		return 0;
	}
	while (*idx < HIST_NBUCKETS) {
		const uint64_t *g = s->grp[*idx / HIST_SUB];

		if (!g) {       /* skip a whole empty group */
			*idx = (*idx / HIST_SUB + 1) * HIST_SUB;
			continue;
		}
		if (g[*idx % HIST_SUB])
			return g[*idx % HIST_SUB];
		(*idx)++;
	}
	return 0;
}

void series_add(struct series *s, uint64_t v)
{
	unsigned idx = hist_index(v);

	if (!s->n || v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	s->n++;
	s->sum += v;
	if (__builtin_expect(s->grp != NULL, 1)) {     /* a busy vCPU */
		uint64_t **g = &s->grp[idx / HIST_SUB];

		if (!*g)
			*g = xcalloc(HIST_SUB, sizeof(**g));
		(*g)[idx % HIST_SUB]++;
		return;
	}
	{
		uint32_t lo = 0, hi = s->nsp;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (s->sp[mid].idx < idx)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->nsp && s->sp[lo].idx == idx) {
			s->sp[lo].cnt++;
			return;
		}
		if (s->nsp < HIST_SPARSE) {
			if (s->nsp == s->capsp) {
				s->capsp = s->capsp ? s->capsp * 2 : 2;
				if (s->capsp > HIST_SPARSE)
					s->capsp = HIST_SPARSE;
				s->sp = xrealloc(s->sp, s->capsp * sizeof(*s->sp));
			}
			memmove(&s->sp[lo + 1], &s->sp[lo], (s->nsp - lo) * sizeof(*s->sp));
			s->sp[lo].idx = idx;
			s->sp[lo].cnt = 1;
			s->nsp++;
			return;
		}
		to_dense(s);
	}
	{
		uint64_t **g = &s->grp[idx / HIST_SUB];

		if (!*g)
			*g = xcalloc(HIST_SUB, sizeof(**g));
		(*g)[idx % HIST_SUB]++;
	}
}

void series_reset(struct series *s)
{
	if (s->n && s->grp)
		for (unsigned i = 0; i < HIST_NGROUPS; i++)
			if (s->grp[i])
				memset(s->grp[i], 0, HIST_SUB * sizeof(*s->grp[i]));
	s->nsp = 0;
	s->n = s->sum = s->min = s->max = 0;
}

void series_free(struct series *s)
{
	if (s->grp) {
		for (unsigned i = 0; i < HIST_NGROUPS; i++)
			free(s->grp[i]);
		free(s->grp);
	}
	free(s->sp);
	memset(s, 0, sizeof(*s));
}

void series_percentiles(const struct series *s, const double *pct, int npct,
			uint64_t *out)
{
	uint64_t cum = 0, c = 0;
	unsigned idx = 0;
	uint32_t pos = 0;
	int have = 0;   /* c is the count of bucket idx, not yet in cum */

	for (int i = 0; i < npct; i++) {
		uint64_t rank, v;
		double r;

		if (!s->n) {
			out[i] = 0;
			continue;
		}
		/* nearest rank: the smallest value with >= pct% at or below */
		r = pct[i] / 100.0 * (double)s->n;
		rank = (uint64_t)r;
		if ((double)rank < r)
			rank++;
		if (rank < 1)
			rank = 1;
		if (rank > s->n)
			rank = s->n;
		/* percentiles are asked for in increasing order; restart if not */
		if (i > 0 && pct[i] < pct[i - 1]) {
			cum = 0;
			idx = 0;
			pos = 0;
			have = 0;
		}
		for (;;) {
			if (!have) {
				c = series_next(s, &idx, &pos);
				if (!c)
					break;
				have = 1;
			}
			if (cum + c >= rank)
				break;
			cum += c;
			idx++;
			have = 0;
		}
		if (!have) {
			out[i] = s->max;
			continue;
		}
		v = hist_lo(idx) + (hist_hi(idx) - hist_lo(idx)) / 2;
		if (v < s->min)
			v = s->min;
		if (v > s->max)
			v = s->max;
		out[i] = v;
	}
}

void series_log2(const struct series *s, uint64_t out[65])
{
	unsigned idx = 0;
	uint32_t pos = 0;
	uint64_t c;

	memset(out, 0, 65 * sizeof(out[0]));
	if (!s->n)
		return;
	while ((c = series_next(s, &idx, &pos)) != 0) {
		/* a log-linear bucket never straddles a power of two */
		uint64_t lo = hist_lo(idx);

		out[lo ? msb64(lo) + 1 : 0] += c;
		idx++;
	}
}
