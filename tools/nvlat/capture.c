// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: the capture format (see docs/reporter.md, "Capture format").
 *
 * A 16-byte file header, then self-delimiting records, all little-endian:
 *
 *   header:  "NVLATCAP"  u16 version (1)  u16 header length (16)  u32 0
 *   record:  u16 marker 0x766e ("nv")  u16 type  u32 length (whole record)
 *            payload  u32 CRC-32 (IEEE, as zlib.crc32) of everything before
 *
 * The marker, length bound and checksum let the reader notice garbled or
 * truncated data, say where (byte offset), skip exactly the bad bytes and
 * resynchronise on the next good record, so a damaged capture loses only
 * what is damaged.  Unknown record types are skipped (forward compatible).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvlat.h"

#define CAP_MAGIC "NVLATCAP"
#define CAP_VERSION 1
#define CAP_HDR_LEN 16
#define REC_MARK 0x766e
#define REC_HDR 8
#define REC_MIN (REC_HDR + 4)
#define REC_MAX 65536
#define EVENT_PAYLOAD 48
#define MAX_SHOWN 10

/* ---- CRC-32 (reflected 0xEDB88320), slicing by 8 ---- */
static uint32_t crc_tab[8][256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^
					crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!crc_tab[0][1])
		crc_init();
	crc = ~crc;
	while (len >= 8) {
		uint32_t a = crc ^ le32(p), b = le32(p + 4);

		crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^
		      crc_tab[5][(a >> 16) & 0xff] ^ crc_tab[4][a >> 24] ^
		      crc_tab[3][b & 0xff] ^ crc_tab[2][(b >> 8) & 0xff] ^
		      crc_tab[1][(b >> 16) & 0xff] ^ crc_tab[0][b >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- little-endian helpers ---- */
static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- writer ---- */
int cap_open(struct cap_writer *w, const char *path)
{
	unsigned char h[CAP_HDR_LEN] = { 0 };

	memset(w, 0, sizeof(*w));
	w->path = path;
	w->f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (!w->f) {
		msg("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 16);
	memcpy(h, CAP_MAGIC, 8);
	put16(h + 8, CAP_VERSION);
	put16(h + 10, CAP_HDR_LEN);
	if (fwrite(h, sizeof(h), 1, w->f) != 1)
		w->err = errno ? errno : EIO;
	w->bytes = sizeof(h);
	return 0;
}

static void put_record(struct cap_writer *w, unsigned type,
		       const unsigned char *payload, size_t plen)
{
	unsigned char buf[REC_HDR + EVENT_PAYLOAD + 4], *p = buf;
	size_t len = REC_HDR + plen + 4;

	if (len > sizeof(buf))
		p = xmalloc(len);
	put16(p, REC_MARK);
	put16(p + 2, (uint16_t)type);
	put32(p + 4, (uint32_t)len);
	memcpy(p + REC_HDR, payload, plen);
	put32(p + len - 4, crc32_ieee(0, p, len - 4));
	if (fwrite(p, len, 1, w->f) != 1 && !w->err)
		w->err = errno ? errno : EIO;
	w->bytes += len;
	if (p != buf)
		free(p);
}

void cap_event(struct cap_writer *w, const struct nv_event *ev)
{
	unsigned char p[EVENT_PAYLOAD];

	put64(p, ev->time_ns);
	put32(p + 8, ev->pid);
	put32(p + 12, ev->tid);
	put32(p + 16, ev->cpu);
	put32(p + 20, (uint32_t)ev->vcpu);
	for (int i = 0; i < NCOMP; i++)
		put64(p + 24 + 8 * i, ev->v[i]);
	/* exit and hcall events (--by-exit) have the same layout, v[] holding
	 * trap/ceded/pc or req/gpr4/gpr5 */
	put_record(w, ev->kind == EV_EXIT ? REC_EXIT : ev->kind == EV_HCALL ?
		   REC_HCALL : REC_EVENT, p, sizeof(p));
	w->events += ev->kind == EV_STATS;
}

void cap_task(struct cap_writer *w, uint32_t pid, uint32_t tid,
	      const char *thread, const char *vm)
{
	size_t tl, vl;
	unsigned char p[8 + 256 + 256];

	if (!thread)
		thread = "";
	if (!vm)
		vm = "";
	tl = strlen(thread);
	vl = strlen(vm);
	if (tl > 255)
		tl = 255;
	if (vl > 255)
		vl = 255;
	put32(p, pid);
	put32(p + 4, tid);
	memcpy(p + 8, thread, tl);
	p[8 + tl] = '\0';
	memcpy(p + 9 + tl, vm, vl);
	p[9 + tl + vl] = '\0';
	put_record(w, REC_TASK, p, 10 + tl + vl);
}

void cap_lost(struct cap_writer *w, uint64_t time_ns, uint64_t count)
{
	unsigned char p[16];

	put64(p, time_ns);
	put64(p + 8, count);
	put_record(w, REC_LOST, p, sizeof(p));
}

void cap_info(struct cap_writer *w, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);
	unsigned char *p;

	if (kl + vl + 2 > REC_MAX - REC_MIN)
		vl = REC_MAX - REC_MIN - kl - 2;
	p = xmalloc(kl + vl + 2);
	memcpy(p, key, kl);
	p[kl] = '=';
	memcpy(p + kl + 1, value, vl);
	p[kl + 1 + vl] = '\0';
	put_record(w, REC_INFO, p, kl + vl + 2);
	free(p);
}

int cap_close(struct cap_writer *w)
{
	int err = w->err;

	if (fflush(w->f) && !err)
		err = errno ? errno : EIO;
	if (w->f != stdout && fclose(w->f) && !err)
		err = errno ? errno : EIO;
	w->f = NULL;
	if (err) {
		msg("writing %s: %s", w->path, strerror(err));
		return -1;
	}
	return 0;
}

/* ---- reader ---- */
enum { CR_OK, CR_BAD, CR_TRUNC };

static const char *why_bad;

/* Is there a well-formed record at p?  *rlen gets its length. */
static int check_record(const unsigned char *p, size_t rem, size_t *rlen)
{
	uint32_t len;

	if (rem < REC_HDR) {
		why_bad = "truncated record header";
		return CR_TRUNC;
	}
	if (get16(p) != REC_MARK) {
		why_bad = "no record marker (garbled data)";
		return CR_BAD;
	}
	len = get32(p + 4);
	if (len < REC_MIN || len > REC_MAX) {
		why_bad = "impossible record length (garbled data)";
		return CR_BAD;
	}
	if (len > rem) {
		why_bad = "truncated record";
		return CR_TRUNC;
	}
	if (crc32_ieee(0, p, len - 4) != get32(p + len - 4)) {
		why_bad = "checksum mismatch (garbled data)";
		return CR_BAD;
	}
	*rlen = len;
	return CR_OK;
}

/*
 * Resynchronising after damage: only a record of a known type and of a
 * length it can have is a candidate (event 60, lost 28 bytes, task and
 * info up to RESYNC_MAX), so at most RESYNC_MAX bytes are checksummed per
 * byte offset and the scan is linear in the size of the damage, whatever
 * the bytes (a fake marker with a 64 KiB length used to cost a 64 KiB
 * CRC at every offset).  Longer info records and unknown types right
 * after damage are skipped with it.
 */
#define RESYNC_MAX (REC_MIN + 8 + 2 * 256)

static int resync_candidate(const unsigned char *p, size_t rem)
{
	uint32_t len;

	if (rem < REC_HDR || get16(p) != REC_MARK)
		return 0;
	len = get32(p + 4);
	switch (get16(p + 2)) {
	case REC_EVENT:
	case REC_EXIT:
	case REC_HCALL:
		return len == REC_MIN + EVENT_PAYLOAD;
	case REC_LOST:
		return len == REC_MIN + 16;
	case REC_TASK:
	case REC_INFO:
		return len >= REC_MIN + 2 && len <= RESYNC_MAX;
	default:
		return 0;
	}
}

struct rd {
	const char *path;
	long bad;
	const struct source_ops *ops;
};

static void bad(struct rd *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(struct rd *rd, const char *fmt, ...)
{
	va_list ap;

	rd->ops->bad();
	if (++rd->bad > MAX_SHOWN || msg_quiet)
		return;
	fprintf(stderr, "%s: %s: ", prog, rd->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Returns 1 if the consumer asked to stop. */
static int dispatch(struct rd *rd, const unsigned char *p, size_t len,
		    size_t off, const struct source_ops *ops)
{
	unsigned type = get16(p + 2);
	const unsigned char *d = p + REC_HDR;
	size_t dl = len - REC_MIN;

	switch (type) {
	case REC_EVENT:
	case REC_EXIT:
	case REC_HCALL: {
		struct nv_event ev;

		if (dl < EVENT_PAYLOAD)
			break;
		ev.time_ns = get64(d);
		ev.pid = get32(d + 8);
		ev.tid = get32(d + 12);
		ev.cpu = get32(d + 16);
		ev.vcpu = (int32_t)get32(d + 20);
		for (int i = 0; i < NCOMP; i++)
			ev.v[i] = get64(d + 24 + 8 * i);
		ev.kind = type == REC_EXIT ? EV_EXIT : type == REC_HCALL ? EV_HCALL : EV_STATS;
		return ops->event(&ev);
	}
	case REC_TASK: {
		const char *t = (const char *)d + 8, *v;
		const char *end = (const char *)d + dl;

		if (dl < 10 || !memchr(t, '\0', (size_t)(end - t)))
			break;
		v = t + strlen(t) + 1;
		if (v >= end || !memchr(v, '\0', (size_t)(end - v)))
			break;
		ops->task(get32(d), get32(d + 4), t, v);
		return 0;
	}
	case REC_LOST:
		if (dl < 16)
			break;
		ops->lost(get64(d), get64(d + 8));
		return 0;
	case REC_INFO: {
		char kv[256], *eq;
		size_t n = dl < sizeof(kv) - 1 ? dl : sizeof(kv) - 1;

		memcpy(kv, d, n);
		kv[n] = '\0';
		eq = strchr(kv, '=');
		if (eq && ops->info) {
			*eq = '\0';
			ops->info(kv, eq + 1);
		}
		return 0;
	}
	default:        /* types from newer versions */
		return 0;
	}
	bad(rd, "offset %zu: record of type %u is too short (%zu bytes of payload); skipped",
	    off, type, dl);
	return 0;
}

/*
 * The input is read through a window (WIN bytes, at least REC_MAX ahead
 * of the record being looked at), not loaded or mapped whole: memory does
 * not grow with the capture, and stdin, pipes and files read alike.
 */
#define WIN (4u * REC_MAX)      /* 256 KiB */

struct win {
	int fd, eof;
	const char *path;
	unsigned char *buf;
	size_t start, end;      /* unread data: buf[start, end) */
	uint64_t base;          /* file offset of buf[0] */
};

/* Make at least need bytes available at buf[start] unless the input ends
 * first.  -1 on a read error (message printed). */
static int fill(struct win *w, size_t need)
{
	if (w->end - w->start >= need || w->eof)
		return 0;
	if (w->start) {
		memmove(w->buf, w->buf + w->start, w->end - w->start);
		w->base += w->start;
		w->end -= w->start;
		w->start = 0;
	}
	while (w->end < need && !w->eof) {
		ssize_t r = read(w->fd, w->buf + w->end, WIN - w->end);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			msg("reading %s: %s", w->path, strerror(errno));
			return -1;
		}
		if (r == 0)
			w->eof = 1;
		w->end += (size_t)r;
	}
	return 0;
}

/*
 * The record at buf[start]: at least REC_MIN bytes, then as many as its
 * length field says, and no more, so that a pipe streams: `nvlat record
 * -o - | nvlat -r - -i 1` prints each report once its interval is over,
 * not when 64 KiB have come.
 */
static int fill_record(struct win *w)
{
	const unsigned char *p;
	uint32_t len;

	if (fill(w, REC_MIN))
		return -1;
	p = w->buf + w->start;
	if (w->end - w->start < REC_MIN || get16(p) != REC_MARK)
		return 0;
	len = get32(p + 4);
	if (len > REC_MAX)
		return 0;
	return fill(w, len);
}

static uint64_t at(const struct win *w)
{
	return w->base + w->start;
}

long replay_capture(const char *path, const struct source_ops *ops)
{
	struct rd rd = { path, 0, ops };
	struct win w = { 0 };
	size_t rlen = 0, len;
	long status = 0;        /* -2: not a capture at all, -1: I/O */
	unsigned ver, hlen;
	const unsigned char *buf;

	w.fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	w.path = path;
	if (w.fd < 0) {
		msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (strcmp(path, "-") == 0)
		rd.path = w.path = path = "<stdin>";
	w.buf = xmalloc(WIN);
	if (fill(&w, CAP_HDR_LEN)) {
		status = -1;
		goto out;
	}
	buf = w.buf;
	len = w.end;
	if (len < CAP_HDR_LEN || memcmp(buf, CAP_MAGIC, 8) != 0) {
		int text = len > 0 && memchr(buf, '\n', len) && !memchr(buf, '\0', len);

		if (len == 0)
			msg("%s: empty file, not an nvlat capture", path);
		else if (len < CAP_HDR_LEN && !memcmp(buf, CAP_MAGIC, len < 8 ? len : 8))
			msg("%s: truncated capture: %zu of the 16 header bytes", path, len);
		else
			msg("%s: not an nvlat capture (no NVLATCAP magic at offset 0)%s",
			    path, text ? "; for `perf script` text use --perf-script" : "");
		status = -2;
		goto out;
	}
	ver = get16(buf + 8);
	hlen = get16(buf + 10);
	if (fill(&w, hlen)) {
		status = -1;
		goto out;
	}
	if (ver != CAP_VERSION || hlen < CAP_HDR_LEN || hlen > w.end) {
		msg("%s: unsupported capture version %u (header length %u); this nvlat reads version %d",
		    path, ver, hlen, CAP_VERSION);
		status = -2;
		goto out;
	}
	w.start = hlen;

	for (;;) {
		size_t rem;
		uint64_t off;
		int r;
		const char *why;

		if (fill_record(&w)) {
			status = -1;
			goto out;
		}
		rem = w.end - w.start;
		if (!rem)
			break;
		off = at(&w);
		r = check_record(w.buf + w.start, rem, &rlen);
		if (r == CR_OK) {
			if (dispatch(&rd, w.buf + w.start, rlen, (size_t)off, ops))
				break;
			w.start += rlen;
			continue;
		}
		why = why_bad;
		for (w.start++;; w.start++) {
			if (fill_record(&w)) {
				status = -1;
				goto out;
			}
			if (w.end - w.start < REC_MIN)
				break;
			if (w.buf[w.start] == (REC_MARK & 0xff) &&
			    resync_candidate(w.buf + w.start, w.end - w.start) &&
			    check_record(w.buf + w.start, w.end - w.start, &rlen) == CR_OK)
				break;
		}
		if (w.end - w.start >= REC_MIN) {
			bad(&rd, "offset %zu: %s; skipped %zu bytes, resynchronised at offset %zu",
			    (size_t)off, why, (size_t)(at(&w) - off), (size_t)at(&w));
			continue;
		}
		rem = (size_t)(w.base + w.end - off);
		if (r == CR_TRUNC)
			bad(&rd, "offset %zu: %s at end of file (%zu bytes left): the capture was cut short",
			    (size_t)off, why, rem);
		else
			bad(&rd, "offset %zu: %s; no good record in the last %zu bytes",
			    (size_t)off, why, rem);
		break;
	}
	if (rd.bad > MAX_SHOWN)
		msg("%s: %ld more bad records not shown", path, rd.bad - MAX_SHOWN);
	status = rd.bad;
out:
	free(w.buf);
	if (w.fd > 0)
		close(w.fd);
	return status;
}
