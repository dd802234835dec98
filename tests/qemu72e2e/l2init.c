// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the tiny L2 initramfs (make e2e-qemu72).
 *
 * Default: say the marker on the console and power the pseries VM off, so
 * QEMU exits by itself.  The e2e run measures the boot up to the marker
 * and the L1 -> L0 hcalls the whole VM costs.
 *
 * NV2_L2=cpu: first say the L2 kernel's cpu line of /proc/cpuinfo ("L2:
 * cpu: POWER10 (architected), ..."), the processor mode the L2 runs in
 * (ci/initramfs/run/qemu72-power11).
 *
 * NV2_L2=migwrite on the kernel command line (the kernel hands it to /init
 * in the environment): the writing L2 of the live
 * migration check (ci/initramfs/run/qemu72-migcheck, driven by
 * tests/qemu72/baremetal/migcheck.sh).  A child process writes round after
 * round to every page of a buffer, and before each write reads the page
 * and checks it holds the previous round's value: a page whose write the
 * migration did not send again shows up, after the restore, as an older
 * value.  The parent says "migcheck: ready" once the writer runs, and
 * after it reads 'v' on the console (sent once the VM runs on the
 * destination) waits for two more full rounds and says
 * "migcheck: PASS ..." or "migcheck: FAIL ...".
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#define BUF_MB		32
#define STRIDE		4096UL		/* every page, whatever the page size */

struct shared {
	volatile uint64_t rounds;	/* rounds completed */
	volatile uint64_t stale;	/* pages found with an older value */
	volatile uint64_t first_page, first_had, first_want;
};

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(int fd, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		exit(1);
}

static void writer(struct shared *sh, volatile uint64_t *buf, size_t pages)
{
	size_t w = STRIDE / sizeof(*buf);

	for (uint64_t r = 1;; r++) {
		for (size_t p = 0; p < pages; p++) {
			uint64_t had = buf[p * w];	/* load first ... */

			if (had != r - 1 && !sh->stale++) {
				sh->first_page = p;
				sh->first_had = had;
				sh->first_want = r - 1;
			}
			buf[p * w] = r;			/* ... then store */
		}
		sh->rounds = r;
	}
}

static int migwrite(int fd)
{
	size_t size = BUF_MB << 20, pages = size / STRIDE;
	struct shared *sh;
	struct termios t;
	uint64_t base;
	void *buf;
	char c = 0;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || buf == MAP_FAILED) {
		say(fd, "migcheck: error: mmap failed\n");
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	memset(buf, 0, size);
	if (fork() == 0) {
		writer(sh, buf, pages);
		_exit(0);
	}
	while (sh->rounds < 2)
		usleep(10000);
	/* 'v' arrives without a newline: no line discipline */
	if (!tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	say(fd, "migcheck: ready: writing %zu pages of %lu bytes, round %llu\r\n", pages,
	    STRIDE, (unsigned long long)sh->rounds);
	do {
		if (read(fd, &c, 1) != 1)
			usleep(10000);
	} while (c != 'v');
	base = sh->rounds;
	while (sh->rounds < base + 2)
		usleep(10000);
	if (sh->stale)
		say(fd, "migcheck: FAIL: %llu stale pages after the migration (first: page %llu "
		    "held round %llu, expected %llu)\r\n", (unsigned long long)sh->stale,
		    (unsigned long long)sh->first_page, (unsigned long long)sh->first_had,
		    (unsigned long long)sh->first_want);
	else
		say(fd, "migcheck: PASS: %zu pages, every one held the last value written, "
		    "%llu rounds\r\n", pages, (unsigned long long)sh->rounds);
	return 0;
}

/* The cpu line of /proc/cpuinfo on the console, or why there is none */
static void say_cpu(int fd)
{
	char line[256];
	FILE *f;

	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", 0, NULL)) {
		say(fd, "L2: cpu: unknown (mount /proc failed)\n");
		return;
	}
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (strncmp(line, "cpu\t", 4) || !v)
			continue;
		say(fd, "L2: cpu: %s", v + 1 + (v[1] == ' '));
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	say(fd, "L2: cpu: unknown (no cpu line in /proc/cpuinfo)\n");
}

int main(void)
{
	static const char marker[] = "L2: HELLO\n";
	const char *mode = getenv("NV2_L2");
	int fd = open("/dev/console", O_RDWR);

	if (fd < 0)
		fd = 1;
	if (mode && !strcmp(mode, "migwrite")) {
		migwrite(fd);
		for (;;)
			pause();
	}
	if (mode && !strcmp(mode, "cpu"))
		say_cpu(fd);
	if (write(fd, marker, strlen(marker)) < 0)
		return 1;
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached unless the kernel refused: a panic says so too. */
	perror("L2: reboot");
	return 1;
}
