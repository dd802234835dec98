// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the guest state buffer (GSB) library of our 6.1
 * series: arch/powerpc/kvm/guest-state-buffer.c, compiled from the patched
 * tree (build/src/linux-6.1) with gsb-shim.h, under ASan and UBSan.
 *
 * Every input goes through the four ways the kernel uses the library:
 *
 *  parse   the input as a buffer the L0 filled (a run output buffer or an
 *          H_GUEST_GET_STATE reply), in an allocation of exactly its size,
 *          at an odd or even address: kvmppc_gs_parse_raw(), the walker,
 *          kvmppc_gs_find(), kvmppc_gs_parse() and kvmppc_gs_parser_find();
 *  lookup  every 16-bit word of the input as an element ID: descriptor,
 *          dense index, size, mask, name, scope/access check, bitmaps;
 *  build   the input as a script of puts (any ID, any length, every typed
 *          helper, resets) into a buffer of a size the input chooses;
 *  alloc   buffer sizes and flags from the input, valid or not.
 *
 * Besides memory errors (ASan), undefined behaviour (UBSan) and
 * WARN_ON_ONCE() (the shim aborts), each step checks what docs/gsb.md
 * promises: a parse either indexes elements that lie inside the buffer and
 * have their table size, or fails with the documented errno and a bad
 * offset inside the buffer, without writing to it; a put either appends
 * exactly one element or fails with the documented errno in the documented
 * order and leaves the buffer unchanged; what was built parses back to the
 * same elements and values.  A broken promise aborts with a message.
 */
#include <stdarg.h>

#include <asm/kvm_guest_state.h>

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz_gsb: broken promise: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

/* A byte reader over the input: 0 once it is used up. */
struct src {
	const u8 *p;
	size_t left;
};

static u8 take8(struct src *s)
{
	if (!s->left)
		return 0;
	s->left--;
	return *s->p++;
}

static u16 take16(struct src *s)
{
	return (u16)(take8(s) << 8 | take8(s));
}

static void take(struct src *s, void *out, size_t n)
{
	u8 *o = out;

	while (n--)
		*o++ = take8(s);
}

/* ------------------------------------------------------------- parse */

static void parse(const u8 *data, size_t size)
{
	static struct kvmppc_gs_parser p, p2;
	const struct kvmppc_gs_elem *e;
	struct kvmppc_gs_iter it;
	struct kvmppc_gs_buf buf;
	size_t off = size ? data[size - 1] & 1 : 0, walked = 0;
	u8 *mem, *copy;
	int rc, rc2;

	/* exactly size bytes, possibly at an odd address */
	mem = malloc(size + off ? size + off : 1);
	if (!mem)
		abort();
	copy = mem + off;
	memcpy(copy, data, size);

	memset(&p, 0xa5, sizeof(p));
	rc = kvmppc_gs_parse_raw(&p, copy, size);
	CHECK(!memcmp(copy, data, size), "parse wrote to its input");
	CHECK(p.base == copy, "parser base");
	CHECK(rc == 0 || rc == -ENODATA || rc == -EBADMSG || rc == -ENOENT ||
	      rc == -EINVAL, "parse returned %d", rc);

	/* the walker sees the same structure */
	kvmppc_gs_iter_init_raw(&it, copy, size);
	while ((e = kvmppc_gs_iter_next(&it))) {
		const u8 *b = (const u8 *)e;

		CHECK(b >= copy && b + sizeof(*e) + kvmppc_gs_elem_len(e) <= copy + size,
		      "walker returned an element outside the buffer");
		walked++;
	}
	CHECK(it.err == 0 || it.err == -ENODATA || it.err == -EBADMSG,
	      "walker err %d", it.err);
	CHECK(it.index == walked, "walker index %u, %zu elements", it.index, walked);
	CHECK((it.err == -ENODATA) == (size < 4), "ENODATA iff no header");

	if (rc == 0) {
		unsigned int i, n = 0;

		CHECK(it.err == 0, "parse ok, walker err %d", it.err);
		CHECK(p.count == walked, "parse count %u, walker %zu", p.count, walked);
		CHECK(p.len >= 4 && p.len <= size, "parse len %u of %zu", p.len, size);
		CHECK(p.count == be32_to_cpu(((const struct kvmppc_gs_hdr *)copy)->count),
		      "parse count differs from the header");
		kvmppc_gs_bitmap_for_each(i, &p.present) {
			const struct kvmppc_gs_desc *d = kvmppc_gs_desc_at(i);
			u8 val[32];

			CHECK(d, "present bit %u has no descriptor", i);
			e = kvmppc_gs_parser_find(&p, d->id);
			CHECK(e, "present %s not found", d->name);
			CHECK((const u8 *)e >= copy + 4 &&
			      (const u8 *)e + 4 + d->size <= copy + p.len,
			      "%s outside the parsed bytes", d->name);
			CHECK(kvmppc_gs_elem_id(e) == d->id, "%s: id %#x", d->name,
			      kvmppc_gs_elem_id(e));
			CHECK(kvmppc_gs_elem_len(e) == d->size, "%s: len", d->name);
			CHECK(kvmppc_gs_get(e, val, d->size) == 0, "%s: get", d->name);
			CHECK(kvmppc_gs_get(e, val, d->size + 1) == -EINVAL,
			      "%s: get of a wrong length", d->name);
			n++;
		}
		CHECK(n <= p.count, "more IDs than elements");
		CHECK((n == 0) == (p.count == 0), "elements but no IDs");
	} else {
		unsigned int i;

		CHECK(p.bad_offset <= size, "bad_offset %u past %zu", p.bad_offset, size);
		CHECK(p.bad_index <= walked, "bad_index %u, walked %zu", p.bad_index, walked);
		for (i = 0; i < KVMPPC_GSIDX_COUNT; i++)
			CHECK(!test_bit(i, p.present.bits), "failed parse kept IDs");
		CHECK(!kvmppc_gs_parser_find(&p, KVMPPC_GSID_GPR(3)),
		      "failed parse finds elements");
		if (rc == -EBADMSG)
			CHECK(it.err == -EBADMSG && p.bad_index == walked,
			      "EBADMSG at %u, walker stopped at %zu", p.bad_index, walked);
		if (rc == -ENOENT || rc == -EINVAL) {
			const struct kvmppc_gs_elem *bad =
				(const void *)(copy + p.bad_offset);
			int idx;

			CHECK(p.bad_offset >= 4 && p.bad_offset + 4 <= size,
			      "bad element header outside");
			idx = kvmppc_gsid_index(kvmppc_gs_elem_id(bad));
			CHECK((rc == -ENOENT) == (idx < 0), "rc %d for id %#x", rc,
			      kvmppc_gs_elem_id(bad));
			if (idx >= 0)
				CHECK(kvmppc_gs_elem_len(bad) != kvmppc_gs_desc_at(idx)->size,
				      "EINVAL for a good length");
		}
	}

	/* the buffer API over the same bytes: capacity = size */
	memset(&buf, 0, sizeof(buf));
	buf.hdr = (struct kvmppc_gs_hdr *)copy;
	buf.capacity = size;
	buf.len = 4;
	if (size >= 4 && walked) {
		/* the first walked element is found by its ID */
		kvmppc_gs_iter_init(&it, &buf);
		e = kvmppc_gs_iter_next(&it);
		CHECK(e && kvmppc_gs_find(&buf, kvmppc_gs_elem_id(e)) != NULL,
		      "find misses the first element");
	}
	if (size >= 6)
		(void)kvmppc_gs_find(&buf, (u16)(data[size - 2] << 8 | data[size - 1]));
	walked = 0;
	kvmppc_gs_for_each_elem(e, &it, &buf)
		walked++;
	CHECK(walked == it.index, "for_each");
	rc2 = kvmppc_gs_parse(&p2, &buf);
	CHECK(rc2 == rc, "parse %d, parse_raw %d", rc2, rc);
	CHECK(buf.len == (rc ? 4 : p.len), "buf len %u after parse %d", buf.len, rc);
	CHECK(!memcmp(copy, data, size), "walk or parse wrote to the buffer");
	free(mem);
}

/* ------------------------------------------------------------- lookup */

static void lookup(const u8 *data, size_t size)
{
	static const u32 needs[] = {
		0, KVMPPC_GS_GUEST, KVMPPC_GS_THREAD, KVMPPC_GS_READ, KVMPPC_GS_WRITE,
		KVMPPC_GS_G_RW, KVMPPC_GS_T_RW, KVMPPC_GS_GUEST | KVMPPC_GS_READ,
		KVMPPC_GS_THREAD | KVMPPC_GS_WRITE, ~0u,
	};
	struct kvmppc_gs_bitmap bm;
	size_t k, n = size / 2 > 16 ? 16 : size / 2;
	unsigned int i, set = 0, seen = 0;

	bitmap_zero(bm.bits, KVMPPC_GSIDX_COUNT);
	for (k = 0; k < n; k++) {
		u16 id = (u16)(data[2 * k] << 8 | data[2 * k + 1]);
		const struct kvmppc_gs_desc *d = kvmppc_gsid_desc(id);
		int idx = kvmppc_gsid_index(id), sz = kvmppc_gsid_size(id);
		u64 mask = kvmppc_gsid_mask(id);
		const char *name = kvmppc_gsid_name(id);
		bool was = kvmppc_gs_bitmap_test(&bm, id);
		unsigned int j;

		if (!d) {
			CHECK(idx == -ENOENT && sz == -ENOENT && !mask && !name,
			      "unknown %#x: index %d size %d", id, idx, sz);
			CHECK(kvmppc_gs_bitmap_set(&bm, id) == -ENOENT, "set unknown");
			CHECK(!kvmppc_gs_bitmap_test(&bm, id), "test unknown");
			kvmppc_gs_bitmap_clear(&bm, id);
			CHECK(kvmppc_gsid_check(id, needs[data[2 * k] % 10]) == -ENOENT,
			      "check unknown");
			continue;
		}
		CHECK(idx >= 0 && idx < KVMPPC_GSIDX_COUNT, "index %d", idx);
		CHECK(kvmppc_gs_desc_at(idx) == d && d->id == id, "inverse of %#x", id);
		CHECK(sz == d->size && name == d->name && name && *name, "%#x", id);
		CHECK(d->size >= 8 || !(mask >> (d->size * 8)), "mask of %s too wide", name);
		/* two of the scope/access combinations per ID, picked by the input */
		for (j = data[2 * k] % 5; j < sizeof(needs) / sizeof(needs[0]); j += 5) {
			u32 need = needs[j];
			int rc = kvmppc_gsid_check(id, need), want = 0;

			if ((need & KVMPPC_GS_SCOPE) && !(d->flags & need & KVMPPC_GS_SCOPE))
				want = -EDOM;
			else if ((need & KVMPPC_GS_ACCESS) & ~d->flags)
				want = -EPERM;
			CHECK(rc == want, "check(%s, %#x) = %d, not %d", name, need, rc, want);
		}
		CHECK(kvmppc_gs_bitmap_set(&bm, id) == 0, "set %s", name);
		CHECK(kvmppc_gs_bitmap_test(&bm, id), "test %s", name);
		if (!was)
			set++;
		if (data[2 * k + 1] & 0x80) {
			kvmppc_gs_bitmap_clear(&bm, id);
			CHECK(!kvmppc_gs_bitmap_test(&bm, id), "clear %s", name);
			set--;
		}
	}
	kvmppc_gs_bitmap_for_each(i, &bm) {
		CHECK(kvmppc_gs_desc_at(i), "bit %u", i);
		seen++;
	}
	CHECK(seen == set, "bitmap has %u bits, %u set", seen, set);
	CHECK(!kvmppc_gs_desc_at(KVMPPC_GSIDX_COUNT), "desc_at past the end");
}

/* ------------------------------------------------------------- build */

#define MAX_MODEL 512

struct model_elem {
	u16 id;
	u16 len;
	u8 val[24];
};

/* what kvmppc_gs_put*() must return, worked out from the descriptor */
static int expect_put(const struct kvmppc_gs_buf *b, u16 id, size_t len, u32 access)
{
	const struct kvmppc_gs_desc *d = kvmppc_gsid_desc(id);
	u32 scope = (b->flags & KVMPPC_GS_BUF_GUEST_WIDE) ? KVMPPC_GS_GUEST :
							    KVMPPC_GS_THREAD;

	if (!d)
		return -ENOENT;
	if (len != d->size)
		return -EINVAL;
	if (!(d->flags & scope))
		return -EDOM;
	if (!(d->flags & access))
		return -EPERM;
	if (b->capacity - b->len < 4 + len)
		return -ENOSPC;
	return 0;
}

static void build(const u8 *data, size_t size)
{
	static struct model_elem model[MAX_MODEL];
	static struct kvmppc_gs_parser p;
	struct src s = { data, size };
	struct kvmppc_gs_buf *b;
	u32 cap = 4 + take16(&s) % 1024, n = 0, steps = 0;
	unsigned long flags = take8(&s) & 1 ? KVMPPC_GS_BUF_GUEST_WIDE : 0;
	u8 *before;
	unsigned int i;
	int rc;

	b = kvmppc_gs_buf_alloc(cap, 7, 3, flags, GFP_KERNEL);
	CHECK(!IS_ERR(b), "alloc %u: %ld", cap, PTR_ERR(b));
	CHECK(b->capacity == cap && b->len == 4 && kvmppc_gs_buf_count(b) == 0 &&
	      b->guest_id == 7 && b->vcpu_id == 3 && b->flags == flags, "fresh buffer");
	CHECK(kvmppc_gs_buf_scope(b) == (flags ? KVMPPC_GS_GUEST : KVMPPC_GS_THREAD), "scope");
	before = malloc(cap);
	if (!before)
		abort();

	while (s.left && steps++ < 128) {
		u8 op = take8(&s) % 10;
		u16 id = take16(&s);
		u8 raw[32];
		size_t len = 0;
		u32 access = KVMPPC_GS_WRITE, old_len = b->len;
		int want;

		memcpy(before, b->hdr, b->len);
		memset(raw, 0, sizeof(raw));
		switch (op) {
		case 0:		/* generic put, any length up to 32 */
			len = take8(&s) % 33;
			take(&s, raw, len);
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put(b, id, raw, len);
			break;
		case 1:		/* request for GET_STATE */
			access = KVMPPC_GS_READ;
			want = kvmppc_gsid_size(id);
			len = want < 0 ? 0 : (size_t)want;
			want = want < 0 ? want : expect_put(b, id, len, access);
			rc = kvmppc_gs_put_request(b, id);
			break;
		case 2: {
			u32 v;

			take(&s, &v, 4);
			len = 4;
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put_u32(b, id, v);
			v = cpu_to_be32(v);
			memcpy(raw, &v, 4);
			break;
		}
		case 3: {
			u64 v;

			take(&s, &v, 8);
			len = 8;
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put_u64(b, id, v);
			v = cpu_to_be64(v);
			memcpy(raw, &v, 8);
			break;
		}
		case 4: {
			vector128 v, back;
			union kvmppc_gs_vec u;
			__be64 w[2];

			take(&s, &v, sizeof(v));
			len = 16;
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put_vec128(b, id, &v);
			u.v = v;
			w[0] = cpu_to_be64(u.dw[KVMPPC_GS_VEC_HI]);
			w[1] = cpu_to_be64(u.dw[KVMPPC_GS_VEC_LO]);
			memcpy(raw, w, 16);
			if (!rc) {
				const struct kvmppc_gs_elem *e =
					(const void *)((u8 *)b->hdr + old_len);

				CHECK(kvmppc_gs_get_vec128(e, &back) == 0 &&
				      !memcmp(&back, &v, sizeof(v)), "vec128 round trip");
			}
			break;
		}
		case 5: {
			struct kvmppc_gs_part_table pt, back;

			take(&s, &pt, sizeof(pt));
			id = KVMPPC_GSID_PARTITION_TABLE;
			len = 24;
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put_part_table(b, &pt);
			if (!rc) {
				const struct kvmppc_gs_elem *e =
					(const void *)((u8 *)b->hdr + old_len);

				CHECK(kvmppc_gs_get_part_table(e, &back) == 0 &&
				      !memcmp(&back, &pt, sizeof(pt)), "part table round trip");
			}
			if (!rc)
				memcpy(raw, (u8 *)b->hdr + old_len + 4, 24);
			break;
		}
		case 6: {
			struct kvmppc_gs_proc_table pt, back;

			take(&s, &pt, sizeof(pt));
			id = KVMPPC_GSID_PROCESS_TABLE;
			len = 16;
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put_proc_table(b, &pt);
			if (!rc) {
				const struct kvmppc_gs_elem *e =
					(const void *)((u8 *)b->hdr + old_len);

				CHECK(kvmppc_gs_get_proc_table(e, &back) == 0 &&
				      !memcmp(&back, &pt, sizeof(pt)), "proc table round trip");
			}
			if (!rc)
				memcpy(raw, (u8 *)b->hdr + old_len + 4, 16);
			break;
		}
		case 7: {
			struct kvmppc_gs_buf_info bi, back;

			take(&s, &bi, sizeof(bi));
			len = 16;
			want = expect_put(b, id, len, access);
			rc = kvmppc_gs_put_buf_info(b, id, &bi);
			if (!rc) {
				const struct kvmppc_gs_elem *e =
					(const void *)((u8 *)b->hdr + old_len);

				CHECK(kvmppc_gs_get_buf_info(e, &back) == 0 &&
				      !memcmp(&back, &bi, sizeof(bi)), "buf info round trip");
			}
			if (!rc)
				memcpy(raw, (u8 *)b->hdr + old_len + 4, 16);
			break;
		}
		case 8:		/* reset now and then */
			if (id & 0x0f)
				continue;
			kvmppc_gs_buf_reset(b);
			CHECK(b->len == 4 && kvmppc_gs_buf_count(b) == 0 &&
			      b->capacity == cap, "reset");
			n = 0;
			continue;
		default: {	/* typed getters on the last element, any type */
			const struct kvmppc_gs_elem *e;
			u32 v32;
			u64 v64;

			if (!n)
				continue;
			e = kvmppc_gs_find(b, model[n - 1].id);
			CHECK(e, "find the last put");
			rc = kvmppc_gs_get_u32(e, &v32);
			CHECK((rc == 0) == (kvmppc_gs_elem_len(e) == 4), "get_u32");
			rc = kvmppc_gs_get_u64(e, &v64);
			CHECK((rc == 0) == (kvmppc_gs_elem_len(e) == 8), "get_u64");
			continue;
		}
		}
		CHECK(rc == want, "op %u id %#x len %zu: %d, not %d", op, id, len, rc, want);
		if (rc) {
			CHECK(b->len == old_len && !memcmp(before, b->hdr, old_len),
			      "failed put changed the buffer");
			continue;
		}
		CHECK(b->len == old_len + 4 + len && b->len <= cap, "put len");
		CHECK(kvmppc_gs_buf_count(b) == n + 1, "put count");
		CHECK(!memcmp(before + 4, (u8 *)b->hdr + 4, old_len - 4),
		      "put changed earlier elements");
		if (n < MAX_MODEL) {
			model[n].id = id;
			model[n].len = (u16)len;
			memcpy(model[n].val, raw, len);
			if (op == 1)
				memset(model[n].val, 0, len);
			n++;
		} else {
			break;
		}
	}

	/* what was built parses back, element for element */
	{
		const struct kvmppc_gs_elem *e;
		struct kvmppc_gs_bitmap seen;
		struct kvmppc_gs_iter it;
		u32 used = b->len;

		rc = kvmppc_gs_parse(&p, b);
		CHECK(rc == 0, "built buffer does not parse: %d at %u", rc, p.bad_offset);
		CHECK(p.count == n && b->len == used, "parse count %u of %u, len %u of %u",
		      p.count, n, b->len, used);
		i = 0;
		kvmppc_gs_for_each_elem(e, &it, b) {
			CHECK(i < n && kvmppc_gs_elem_id(e) == model[i].id &&
			      kvmppc_gs_elem_len(e) == model[i].len &&
			      !memcmp(e->data, model[i].val, model[i].len),
			      "element %u differs", i);
			i++;
		}
		CHECK(i == n && it.err == 0, "walked %u of %u (err %d)", i, n, it.err);
		/* the last element of each ID wins: walk the model backwards */
		bitmap_zero(seen.bits, KVMPPC_GSIDX_COUNT);
		for (i = n; i-- > 0;) {
			if (kvmppc_gs_bitmap_test(&seen, model[i].id))
				continue;
			kvmppc_gs_bitmap_set(&seen, model[i].id);
			e = kvmppc_gs_parser_find(&p, model[i].id);
			CHECK(e && !memcmp(e->data, model[i].val, model[i].len),
			      "parser_find(%#x) is not the last one", model[i].id);
		}
	}
	free(before);
	kvmppc_gs_buf_free(b);
}

/* ------------------------------------------------------------- alloc */

static void alloc(const u8 *data, size_t size)
{
	static const size_t sizes[] = {
		0, 1, 3, 4, 5, 4096, KMALLOC_MAX_SIZE + 1, (size_t)U32_MAX + 1, SIZE_MAX,
	};
	struct kvmppc_gs_buf *b;
	size_t sz;
	unsigned long flags;

	if (size < 2)
		return;
	sz = sizes[data[0] % (sizeof(sizes) / sizeof(sizes[0]))];
	flags = data[1] & 0x80 ? (unsigned long)1 << (data[1] & 63) : data[1] & 1;
	b = kvmppc_gs_buf_alloc(sz, 0, 0, flags, GFP_KERNEL);
	if (sz < 4 || sz > KMALLOC_MAX_SIZE || (flags & ~KVMPPC_GS_BUF_GUEST_WIDE)) {
		CHECK(b == ERR_PTR(-EINVAL), "alloc(%zu, %#lx) did not fail", sz, flags);
		return;
	}
	CHECK(!IS_ERR(b) && b->capacity == sz, "alloc(%zu) failed", sz);
	kvmppc_gs_buf_free(b);
	kvmppc_gs_buf_free(NULL);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	parse(data, size);
	lookup(data, size);
	build(data, size);
	alloc(data, size);
	return 0;
}
