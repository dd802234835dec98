// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * C unit tests for nvlat's histogram/percentile code, the tracefs format
 * parser and decoder, the QEMU -name parser, the perf script line parser,
 * the vpa_pmu encoding parser and CRC-32.  Prints TAP; exit 1 on failure.
 * Built by `make -C tools unit`, run by tests/tools/test_unit.py.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvlat.h"

static int ntest, nfail;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		ntest++;                                                \
		if (cond) {                                             \
			printf("ok %d - ", ntest);                      \
		} else {                                                \
			nfail++;                                        \
			printf("not ok %d - %s:%d: ", ntest, __FILE__, __LINE__); \
		}                                                       \
		printf(__VA_ARGS__);                                    \
		putchar('\n');                                          \
	} while (0)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_hist_buckets(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 127, 128, 255, 256, 257, 511, 512, 1000, 4095, 4096,
		1ull << 32, (1ull << 32) + 12345, 1ull << 63, UINT64_MAX,
	};
	int ok = 1;

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		uint64_t v = edges[i];
		unsigned idx = hist_index(v);

		if (idx >= HIST_NBUCKETS || hist_lo(idx) > v || hist_hi(idx) < v)
			ok = 0;
	}
	CHECK(ok, "every edge value lies in its bucket [lo, hi]");
	CHECK(hist_index(UINT64_MAX) == HIST_NBUCKETS - 1,
	      "UINT64_MAX is in the last bucket");
	for (uint64_t v = 0; v < 256; v++)
		if (hist_lo(hist_index(v)) != v || hist_hi(hist_index(v)) != v)
			ok = 0;
	CHECK(ok, "values below 256 have exact buckets");
	ok = 1;
	for (unsigned idx = 1; idx < HIST_NBUCKETS; idx++)
		if (hist_lo(idx) != hist_hi(idx - 1) + 1)
			ok = 0;
	CHECK(ok, "buckets are contiguous and ordered");
	ok = 1;
	for (unsigned idx = 256; idx < HIST_NBUCKETS; idx++)
		if ((hist_hi(idx) - hist_lo(idx) + 1) * 128 > hist_lo(idx))
			ok = 0;
	CHECK(ok, "a bucket is at most 1/128 of its lower bound wide");
}

static void test_percentiles_exact_small(void)
{
	struct series s = { 0 };
	static const double p[] = { 50, 90, 99, 100 };
	uint64_t out[4];

	for (uint64_t v = 200; v >= 1; v--)      /* order must not matter */
		series_add(&s, v);
	series_percentiles(&s, p, 4, out);
	CHECK(out[0] == 100 && out[1] == 180 && out[2] == 198 && out[3] == 200,
	      "1..200: p50 100, p90 180, p99 198, p100 200 (got %llu %llu %llu %llu)",
	      (unsigned long long)out[0], (unsigned long long)out[1],
	      (unsigned long long)out[2], (unsigned long long)out[3]);
	CHECK(s.n == 200 && s.sum == 20100 && s.min == 1 && s.max == 200,
	      "count, sum, min, max exact");
	series_reset(&s);
	series_percentiles(&s, p, 4, out);
	CHECK(s.n == 0 && out[0] == 0, "reset empties the series");
	series_add(&s, 7);
	series_percentiles(&s, p, 4, out);
	CHECK(out[0] == 7 && out[3] == 7, "single value: every percentile is it");
	series_free(&s);
}

static void test_percentiles_random(void)
{
	enum { N = 100000 };
	static const double p[] = { 1, 50, 90, 99, 99.9 };
	uint64_t *v = malloc(N * sizeof(*v)), out[5];
	struct series s = { 0 };
	int ok = 1;

	for (int i = 0; i < N; i++) {
		/* log-uniform over 2^8 .. 2^30 ns, like switch + run times */
		unsigned sh = 8 + (unsigned)(xorshift() % 22);

		v[i] = (1ull << sh) + xorshift() % (1ull << sh);
		series_add(&s, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	series_percentiles(&s, p, 5, out);
	for (int k = 0; k < 5; k++) {
		size_t rank = (size_t)(p[k] / 100.0 * N + 0.999999);
		uint64_t exact = v[rank - 1];
		double err = out[k] > exact ? (double)(out[k] - exact) : (double)(exact - out[k]);

		if (err / (double)exact > 1.0 / 256)
			ok = 0;
	}
	CHECK(ok, "random data: percentiles within 0.4%% of the exact values");
	CHECK(s.min == v[0] && s.max == v[N - 1], "min/max exact on random data");
	free(v);
	series_free(&s);
}

static void test_log2(void)
{
	struct series s = { 0 };
	uint64_t b[65];

	series_add(&s, 0);
	series_add(&s, 1);
	series_add(&s, 3);
	series_add(&s, 1024);
	series_add(&s, 2047);
	series_add(&s, UINT64_MAX);
	series_log2(&s, b);
	CHECK(b[0] == 1 && b[1] == 1 && b[2] == 1 && b[11] == 2 && b[64] == 1,
	      "log2 buckets: 0 | 1 | [2,4) | [1K,2K) x2 | [2^63, 2^64)");
	series_free(&s);
}

/* The format file as 6.12 prints it for kvm_hv:kvmppc_vcpu_stats. */
static const char fmt612[] =
	"name: kvmppc_vcpu_stats\n"
	"ID: 1234\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:int vcpu_id;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:u64 l1_to_l2_cs;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 l2_to_l1_cs;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 l2_runtime;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"VCPU %d: l1_to_l2_cs_time=%llu ns l2_to_l1_cs_time=%llu ns "
	"l2_runtime=%llu ns\", REC->vcpu_id, REC->l1_to_l2_cs, REC->l2_to_l1_cs, "
	"REC->l2_runtime\n";

static void test_tpfmt(void)
{
	struct tp_format f;
	struct nv_event ev;
	unsigned char raw[40] = { 0 };
	char err[128];
	int32_t vcpu = 3;
	uint64_t a = 1111, b = 2222, c = 33333;

	CHECK(tpfmt_parse(fmt612, tp_default_fields, &f, err, sizeof(err)) == 0,
	      "parses the 6.12 format file");
	CHECK(f.vcpu.off == 8 && f.vcpu.size == 4 && f.vcpu.is_signed &&
	      f.comp[0].off == 16 && f.comp[1].off == 24 && f.comp[2].off == 32 &&
	      f.min_size == 40, "offsets 8/16/24/32, record >= 40 bytes");
	memcpy(raw + 8, &vcpu, 4);
	memcpy(raw + 16, &a, 8);
	memcpy(raw + 24, &b, 8);
	memcpy(raw + 32, &c, 8);
	CHECK(tpfmt_decode(&f, raw, sizeof(raw), &ev) == 0 && ev.vcpu == 3 &&
	      ev.v[0] == 1111 && ev.v[1] == 2222 && ev.v[2] == 33333,
	      "decodes a raw record");
	CHECK(tpfmt_decode(&f, raw, 39, &ev) < 0, "rejects a short raw record");
	vcpu = -1;
	memcpy(raw + 8, &vcpu, 4);
	CHECK(tpfmt_decode(&f, raw, sizeof(raw), &ev) == 0 && ev.vcpu == -1,
	      "signed vcpu_id");

	/* a different layout (another common field): offsets follow the file */
	{
		static const char shifted[] =
			"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
			"\tfield:u64 l2_runtime;\toffset:8;\tsize:8;\tsigned:0;\n"
			"\tfield:u64 l1_to_l2_cs;\toffset:16;\tsize:8;\tsigned:0;\n"
			"\tfield:u64 l2_to_l1_cs;\toffset:24;\tsize:8;\tsigned:0;\n"
			"\tfield:int vcpu_id;\toffset:32;\tsize:4;\tsigned:1;\n";

		CHECK(tpfmt_parse(shifted, tp_default_fields, &f, err, sizeof(err)) == 0 &&
		      f.vcpu.off == 32 && f.comp[C_RUN].off == 8 && f.min_size == 36,
		      "another layout is decoded from its own offsets");
	}
	{
		static const char missing[] =
			"\tfield:int vcpu_id;\toffset:8;\tsize:4;\tsigned:1;\n"
			"\tfield:u64 l1_to_l2_cs;\toffset:16;\tsize:8;\tsigned:0;\n";

		CHECK(tpfmt_parse(missing, tp_default_fields, &f, err, sizeof(err)) < 0 &&
		      strstr(err, "l2_to_l1_cs"), "missing field is named: %s", err);
	}
	{
		static const char badsize[] =
			"\tfield:int vcpu_id;\toffset:8;\tsize:3;\tsigned:1;\n"
			"\tfield:u64 l1_to_l2_cs;\toffset:16;\tsize:8;\tsigned:0;\n"
			"\tfield:u64 l2_to_l1_cs;\toffset:24;\tsize:8;\tsigned:0;\n"
			"\tfield:u64 l2_runtime;\toffset:32;\tsize:8;\tsigned:0;\n";

		CHECK(tpfmt_parse(badsize, tp_default_fields, &f, err, sizeof(err)) < 0 &&
		      strstr(err, "size 3"), "odd field size rejected: %s", err);
	}
	{
		static const char garbled[] = "\tfield:int vcpu_id\toffset:8\n";

		CHECK(tpfmt_parse(garbled, tp_default_fields, &f, err, sizeof(err)) < 0,
		      "garbled format rejected: %s", err);
	}
}

static void test_qemu_name(void)
{
	static const char c1[] = "qemu-system-ppc64\0-name\0guest=vm1,debug-threads=on\0-S";
	static const char c2[] = "qemu\0-name\0plain\0";
	static const char c3[] = "qemu\0--name\0debug-threads=on,guest=a,,b\0";
	static const char c4[] = "qemu\0-m\0512\0";
	static const char c5[] = "qemu\0-name\0";
	char out[64];

	CHECK(qemu_vm_name(c1, sizeof(c1), out, sizeof(out)) == 0 &&
	      !strcmp(out, "vm1"), "libvirt style -name guest=vm1,debug-threads=on");
	CHECK(qemu_vm_name(c2, sizeof(c2), out, sizeof(out)) == 0 &&
	      !strcmp(out, "plain"), "legacy -name NAME");
	CHECK(qemu_vm_name(c3, sizeof(c3), out, sizeof(out)) == 0 &&
	      !strcmp(out, "a,b"), "--name with guest= later and ',,' escape (%s)", out);
	CHECK(qemu_vm_name(c4, sizeof(c4), out, sizeof(out)) < 0, "no -name");
	CHECK(qemu_vm_name(c5, sizeof(c5), out, sizeof(out)) < 0, "-name without value");
	{
		/* the last element without its NUL, right before a page that
		 * cannot be read: qemu_vm_name() must stay within len */
		static const char *const tails[] = { "-nam", "-name" };
		long pg = sysconf(_SC_PAGESIZE);
		char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		for (size_t i = 0; i < 2 && map != MAP_FAILED; i++) {
			size_t tl = strlen(tails[i]);
			char *c = map + pg - 5 - tl;

			mprotect(map + pg, (size_t)pg, PROT_NONE);
			memcpy(c, "qemu", 5);
			memcpy(c + 5, tails[i], tl);      /* no NUL after it */
			CHECK(qemu_vm_name(c, 5 + tl, out, sizeof(out)) < 0,
			      "unterminated last element '%s' before an unreadable page",
			      tails[i]);
		}
		if (map != MAP_FAILED)
			munmap(map, (size_t)pg * 2);
	}
}

static void test_pscript(void)
{
	struct nv_event ev;
	char comm[64], line[512];
	const char *why = NULL;

	snprintf(line, sizeof(line), "       CPU 0/KVM  4001/4010  [003]  1234.567890: "
		 "kvm_hv:kvmppc_vcpu_stats: VCPU 2: l1_to_l2_cs_time=11 ns "
		 "l2_to_l1_cs_time=22 ns l2_runtime=333 ns\n");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 1 &&
	      ev.pid == 4001 && ev.tid == 4010 && ev.cpu == 3 &&
	      ev.time_ns == 1234567890000ull && ev.vcpu == 2 && ev.v[0] == 11 &&
	      ev.v[1] == 22 && ev.v[2] == 333 && !strcmp(comm, "CPU 0/KVM"),
	      "print-format line with a comm containing blanks");
	snprintf(line, sizeof(line), "qemu-system-ppc 1240 [000] 5.000001: "
		 "kvm_hv:kvmppc_vcpu_stats: vcpu_id=0 l1_to_l2_cs=1 l2_to_l1_cs=0x10 "
		 "l2_runtime=3");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 1 &&
	      ev.pid == 0 && ev.tid == 1240 && ev.v[1] == 16 && ev.time_ns == 5000001000ull,
	      "raw field form, tid only, hex value");
	snprintf(line, sizeof(line), "qemu-system-ppc  1234/1240 [000]  123.456789: "
		 "kvm_hv:kvmppc_vcpu_stats: vcpu_id=0 l1_to_l2_cs_time=5 "
		 "l2_to_l1_cs_time=6 l2_runtime=7");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 1 &&
	      ev.pid == 1234 && ev.tid == 1240 && ev.vcpu == 0 && ev.v[0] == 5 &&
	      ev.v[2] == 7 && !strcmp(comm, "qemu-system-ppc"),
	      "mixed form: vcpu_id= with the *_cs_time names");
	snprintf(line, sizeof(line), "x 1/2 [000] 1.0: sched:sched_switch: prev_pid=1");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 0,
	      "another event is skipped");
	snprintf(line, sizeof(line), "# comment");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 0, "comment skipped");
	snprintf(line, sizeof(line), "   \n");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 0, "blank skipped");
	snprintf(line, sizeof(line), "x 1/2 [000] 1.0: kvm_hv:kvmppc_vcpu_stats: "
		 "VCPU 0: l1_to_l2_cs_time=12x ns l2_to_l1_cs_time=1 ns l2_runtime=1 ns");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) < 0 &&
	      strstr(why, "l1_to_l2"), "bad number named: %s", why);
	snprintf(line, sizeof(line), "x 1/2 [000] 1.0: kvm_hv:kvmppc_vcpu_stats: "
		 "VCPU 0: l1_to_l2_cs_time=1 ns l2_to_l1_cs_time=1 ns");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) < 0 &&
	      strstr(why, "l2_runtime"), "missing field named: %s", why);
	snprintf(line, sizeof(line), "x 1/2 [000] kvm_hv:kvmppc_vcpu_stats: "
		 "VCPU 0: l1_to_l2_cs_time=1 ns l2_to_l1_cs_time=1 ns l2_runtime=1 ns");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) < 0 &&
	      strstr(why, "timestamp"), "missing timestamp: %s", why);
	snprintf(line, sizeof(line), "%%$#@ garbage !!");
	CHECK(pscript_parse_line(line, &ev, comm, sizeof(comm), &why) < 0,
	      "garbage line: %s", why);
}

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_pmu_encode(void)
{
	char dir[] = "/tmp/nvlat-unit-XXXXXX", p[256], err[256];
	uint64_t cfg[3];

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(p, sizeof(p), "%s/events", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/format", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/events/l1_to_l2_lat", dir);
	mkfile(p, "event=0x01\n");
	snprintf(p, sizeof(p), "%s/events/split", dir);
	mkfile(p, "event=0x3,umask=0x5,flag\n");
	snprintf(p, sizeof(p), "%s/events/toobig", dir);
	mkfile(p, "umask=0x100\n");
	snprintf(p, sizeof(p), "%s/format/event", dir);
	mkfile(p, "config:0-31\n");
	snprintf(p, sizeof(p), "%s/format/umask", dir);
	mkfile(p, "config1:0-3,8-11\n");
	snprintf(p, sizeof(p), "%s/format/flag", dir);
	mkfile(p, "config2:63\n");

	CHECK(pmu_encode(dir, "l1_to_l2_lat", cfg, err, sizeof(err)) == 0 &&
	      cfg[0] == 1 && cfg[1] == 0 && cfg[2] == 0, "event=0x01 -> config 1");
	CHECK(pmu_encode(dir, "split", cfg, err, sizeof(err)) == 0 && cfg[0] == 3 &&
	      cfg[1] == 0x5 && cfg[2] == 1ull << 63, "split ranges and a flag bit");
	CHECK(pmu_encode(dir, "toobig", cfg, err, sizeof(err)) < 0 &&
	      strstr(err, "does not fit"), "value too wide: %s", err);
	CHECK(pmu_encode(dir, "nosuch", cfg, err, sizeof(err)) < 0 &&
	      strstr(err, "no event nosuch"), "missing event named: %s", err);

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p))
		CHECK(0, "cleanup");
}

static void test_crc(void)
{
	CHECK(crc32_ieee(0, "123456789", 9) == 0xCBF43926u, "CRC-32 check value");
	CHECK(crc32_ieee(crc32_ieee(0, "1234", 4), "56789", 5) == 0xCBF43926u,
	      "CRC-32 is incremental");
}

static void test_parse(void)
{
	uint64_t v;

	CHECK(parse_secs("1", &v) == 0 && v == 1000000000ull, "1 s");
	CHECK(parse_secs("0.25", &v) == 0 && v == 250000000ull, "0.25 s");
	CHECK(parse_secs("0", &v) < 0 && parse_secs("x", &v) < 0 &&
	      parse_secs("1.5s", &v) < 0 && parse_secs("-1", &v) < 0,
	      "0, x, 1.5s, -1 rejected");
	CHECK(parse_u64("0x1f", &v) == 0 && v == 31 && parse_u64("12a", &v) < 0 &&
	      parse_u64("", &v) < 0 && parse_u64("-3", &v) < 0, "parse_u64");
}

int main(void)
{
	test_hist_buckets();
	test_percentiles_exact_small();
	test_percentiles_random();
	test_log2();
	test_tpfmt();
	test_qemu_name();
	test_pscript();
	test_pmu_encode();
	test_crc();
	test_parse();
	printf("1..%d\n", ntest);
	printf("# %d passed, %d failed\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
