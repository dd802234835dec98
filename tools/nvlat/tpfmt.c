// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: tracefs event "format" parser and raw sample decoder.
 *
 * The offsets and sizes of the fields are taken from the format file at
 * run time, never compiled in, so the same binary reads the event of an
 * upstream kernel and of our 6.1 series even if the record layout differs
 * (e.g. another common field in front).  Lines look like:
 *
 *	field:u64 l1_to_l2_cs;	offset:16;	size:8;	signed:0;
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nvlat.h"

const char *tp_default_fields[1 + NCOMP] = {
	"vcpu_id", "l1_to_l2_cs", "l2_to_l1_cs", "l2_runtime",
};

/* Find "key:" inside [p, end) and parse the decimal after it; p[-1]
 * must be readable (callers pass a pointer at or after the ';'). */
static int attr_int(const char *p, const char *end, const char *key, int *out)
{
	size_t kl = strlen(key);

	for (; p + kl < end; p++) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':' &&
		    !isalnum((unsigned char)p[-1]) && p[-1] != '_') {
			char *e;
			long v = strtol(p + kl + 1, &e, 10);

			if (e == p + kl + 1 || v < 0 || v > 65535)
				return -1;
			*out = (int)v;
			return 0;
		}
	}
	return -1;
}

/* The name in a declaration like "unsigned int foo[4]" is "foo". */
static void decl_name(const char *decl, size_t len, char *out, size_t outlen)
{
	const char *e = decl + len, *b;
	size_t n;

	while (e > decl && (isspace((unsigned char)e[-1])))
		e--;
	if (e > decl && e[-1] == ']') {
		while (e > decl && e[-1] != '[')
			e--;
		if (e > decl)
			e--;
		while (e > decl && isspace((unsigned char)e[-1]))
			e--;
	}
	b = e;
	while (b > decl && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
		b--;
	n = (size_t)(e - b);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

int tpfmt_parse(const char *text, const char *const names[1 + NCOMP],
		struct tp_format *f, char *err, size_t errlen)
{
	struct tp_field *slot[1 + NCOMP];
	int found[1 + NCOMP] = { 0 };
	int lineno = 0;
	const char *line = text;

	memset(f, 0, sizeof(*f));
	slot[0] = &f->vcpu;
	for (int i = 0; i < NCOMP; i++)
		slot[1 + i] = &f->comp[i];

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *p = line, *semi;
		char name[128];
		struct tp_field fld;

		lineno++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (end - p > 6 && strncmp(p, "field:", 6) == 0) {
			p += 6;
			semi = memchr(p, ';', (size_t)(end - p));
			if (!semi) {
				snprintf(err, errlen, "line %d: field without ';'", lineno);
				return -1;
			}
			decl_name(p, (size_t)(semi - p), name, sizeof(name));
			if (attr_int(semi, end, "offset", &fld.off) ||
			    attr_int(semi, end, "size", &fld.size)) {
				snprintf(err, errlen,
					 "line %d: field %s without offset/size",
					 lineno, name);
				return -1;
			}
			if (attr_int(semi, end, "signed", &fld.is_signed))
				fld.is_signed = 0;
			for (int i = 0; i < 1 + NCOMP; i++) {
				if (strcmp(name, names[i]) == 0) {
					*slot[i] = fld;
					found[i] = 1;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}

	for (int i = 0; i < 1 + NCOMP; i++) {
		struct tp_field *fl = slot[i];

		if (!found[i]) {
			snprintf(err, errlen, "no field '%s'", names[i]);
			return -1;
		}
		if (fl->size != 1 && fl->size != 2 && fl->size != 4 &&
		    fl->size != 8) {
			snprintf(err, errlen, "field '%s' has size %d (want 1, 2, 4 or 8)",
				 names[i], fl->size);
			return -1;
		}
		if (fl->off + fl->size > f->min_size)
			f->min_size = fl->off + fl->size;
	}
	return 0;
}

static uint64_t load(const unsigned char *p, int size, int sign, int64_t *sv)
{
	uint64_t u = 0;

	switch (size) {
	case 1: {
		uint8_t x = p[0];

		*sv = (int8_t)x;
		u = x;
		break;
	}
	case 2: {
		uint16_t x;

		memcpy(&x, p, 2);
		*sv = (int16_t)x;
		u = x;
		break;
	}
	case 4: {
		uint32_t x;

		memcpy(&x, p, 4);
		*sv = (int32_t)x;
		u = x;
		break;
	}
	default: {
		memcpy(&u, p, 8);
		*sv = (int64_t)u;
		break;
	}
	}
	if (!sign)
		*sv = (int64_t)u;
	return u;
}

int tpfmt_decode(const struct tp_format *f, const void *raw, size_t rawlen,
		 struct nv_event *ev)
{
	const unsigned char *p = raw;
	int64_t sv;

	if (rawlen < (size_t)f->min_size)
		return -1;
	load(p + f->vcpu.off, f->vcpu.size, f->vcpu.is_signed, &sv);
	if (sv < INT32_MIN || sv > INT32_MAX)
		return -1;
	ev->vcpu = (int32_t)sv;
	for (int i = 0; i < NCOMP; i++)
		ev->v[i] = load(p + f->comp[i].off, f->comp[i].size, 0, &sv);
	return 0;
}
