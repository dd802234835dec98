// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: VM and vCPU names.
 *
 * A VM is a QEMU process: its name is the guest= value of QEMU's -name
 * option (libvirt passes "-name guest=NAME,debug-threads=on"), read from
 * /proc/PID/cmdline.  A vCPU thread is named by QEMU "CPU n/KVM" when
 * debug-threads is on; we show /proc/PID/task/TID/comm as is.  In replay
 * the names come from the input instead (TASK records, perf script comm).
 */
#include <stdlib.h>
#include <string.h>

#include "nvlat.h"

/* tid -> thread name, pid -> VM name; values are malloc'd strings */
static struct u64map threads, vms;

static const char *lookup(struct u64map *tab, uint32_t key)
{
	uint64_t *v = u64map_get(tab, key);

	return v ? (const char *)(uintptr_t)*v : NULL;
}

static void store(struct u64map *tab, uint32_t key, const char *text)
{
	int isnew;
	uint64_t *v = u64map_put(tab, key, 0, &isnew);
	char *old = (char *)(uintptr_t)*v;

	if (!isnew) {
		if (!text || strcmp(old, text) == 0)
			return;
		free(old);
	}
	*v = (uint64_t)(uintptr_t)xstrdup(text ? text : "");
}

/*
 * Extract the guest name from a NUL-separated command line.  QEMU's
 * option syntax: "-name [guest=]NAME[,key=value...]"; the first element
 * without '=' is the guest name, and ",," stands for a literal comma.
 */
int qemu_vm_name(const char *cmdline, size_t len, char *out, size_t outlen)
{
	const char *p = cmdline, *end = cmdline + len;

	while (p < end) {
		const char *arg = p;
		size_t al = strnlen(arg, (size_t)(end - p));

		/* the last element need not be NUL-terminated: compare
		 * within its length only */
		p += al + 1;
		if (!((al == 5 && memcmp(arg, "-name", 5) == 0) ||
		      (al == 6 && memcmp(arg, "--name", 6) == 0)) || p >= end)
			continue;
		{
			const char *v = p, *vend = p + strnlen(p, (size_t)(end - p));
			int first = 1;

			while (v <= vend) {
				/* one element, up to a single ',' */
				char elem[512];
				size_t n = 0;
				const char *eq = NULL;

				while (v < vend) {
					if (*v == ',') {
						if (v + 1 < vend && v[1] == ',') {
							v++;
						} else {
							break;
						}
					}
					if (*v == '=' && !eq)
						eq = v;
					if (n + 1 < sizeof(elem))
						elem[n++] = *v;
					v++;
				}
				elem[n] = '\0';
				v++;    /* skip the ',' (or step past the end) */
				if (!eq && first && n) {
					snprintf(out, outlen, "%s", elem);
					return 0;
				}
				if (eq && strncmp(elem, "guest=", 6) == 0) {
					snprintf(out, outlen, "%s", elem + 6);
					return 0;
				}
				first = 0;
			}
		}
		return -1;
	}
	return -1;
}

void names_set(uint32_t pid, uint32_t tid, const char *thread, const char *vm)
{
	if (thread && tid)
		store(&threads, tid, thread);
	if (vm && *vm && pid)
		store(&vms, pid, vm);
}

const char *names_thread(uint32_t tid)
{
	const char *n = lookup(&threads, tid);

	return n ? n : "";
}

const char *names_vm(uint32_t pid)
{
	const char *n = lookup(&vms, pid);

	return n ? n : "";
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

int names_resolve_proc(uint32_t pid, uint32_t tid)
{
	char path[96], name[256];
	char *txt;
	size_t len;
	int isnew = 0;

	if (tid && !lookup(&threads, tid)) {
		snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
		txt = read_file(path, NULL);
		if (txt)
			chomp(txt);
		store(&threads, tid, txt ? txt : "");
		free(txt);
		isnew = 1;
	}
	if (pid && !lookup(&vms, pid)) {
		name[0] = '\0';
		snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
		txt = read_file(path, &len);
		if (!txt || qemu_vm_name(txt, len, name, sizeof(name)) < 0) {
			/* not a named QEMU: fall back to the process name */
			free(txt);
			snprintf(path, sizeof(path), "/proc/%u/comm", pid);
			txt = read_file(path, NULL);
			if (txt) {
				chomp(txt);
				snprintf(name, sizeof(name), "%s", txt);
			}
		}
		free(txt);
		store(&vms, pid, name);
		isnew = 1;
	}
	return isnew;
}

void names_free(void)
{
	struct u64map *tabs[2] = { &threads, &vms };

	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < tabs[t]->cap; i++)
			if (tabs[t]->used[i])
				free((char *)(uintptr_t)tabs[t]->vals[i]);
		u64map_free(tabs[t]);
	}
}

/* Length of the valid UTF-8 sequence at p (1-4), 0 if it is not one. */
int utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	int n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static size_t nchars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

void name_printable(const char *s, char *out, size_t outlen, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (max < 4)
		max = 4;
	while (*p && o + 8 < outlen) {
		int n = utf8_len(p);

		if (n == 1 && (*p < 0x20 || *p == 0x7f))
			n = 0;
		if (n) {
			memcpy(out + o, p, (size_t)n);
			o += (size_t)n;
			p += n;
		} else {
			snprintf(out + o, outlen - o, "\\x%02x", *p++);
			o += 4;
		}
	}
	out[o] = '\0';
	if (*p || nchars(out, o) > max) {
		/* cut at a character boundary, leaving room for "..." */
		size_t keep = 0, k = 0;

		while (k < o && keep < max - 3) {
			k++;
			while (k < o && ((unsigned char)out[k] & 0xc0) == 0x80)
				k++;
			keep++;
		}
		memcpy(out + k, "...", 4);
	}
}
