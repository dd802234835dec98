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

#define NHASH 1024

struct name {
	uint32_t key;
	char *text;
	struct name *next;
};

static struct name *threads[NHASH], *vms[NHASH];

static struct name *lookup(struct name **tab, uint32_t key)
{
	for (struct name *n = tab[key % NHASH]; n; n = n->next)
		if (n->key == key)
			return n;
	return NULL;
}

static void store(struct name **tab, uint32_t key, const char *text)
{
	struct name *n = lookup(tab, key);

	if (n) {
		if (!text || strcmp(n->text, text) == 0)
			return;
		free(n->text);
	} else {
		n = xcalloc(1, sizeof(*n));
		n->key = key;
		n->next = tab[key % NHASH];
		tab[key % NHASH] = n;
	}
	n->text = xstrdup(text ? text : "");
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

		p += al + 1;
		if ((strcmp(arg, "-name") != 0 && strcmp(arg, "--name") != 0) ||
		    p >= end)
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
		store(threads, tid, thread);
	if (vm && *vm && pid)
		store(vms, pid, vm);
}

const char *names_thread(uint32_t tid)
{
	struct name *n = lookup(threads, tid);

	return n ? n->text : "";
}

const char *names_vm(uint32_t pid)
{
	struct name *n = lookup(vms, pid);

	return n ? n->text : "";
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

	if (tid && !lookup(threads, tid)) {
		snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
		txt = read_file(path, NULL);
		if (txt)
			chomp(txt);
		store(threads, tid, txt ? txt : "");
		free(txt);
		isnew = 1;
	}
	if (pid && !lookup(vms, pid)) {
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
		store(vms, pid, name);
		isnew = 1;
	}
	return isnew;
}

void names_free(void)
{
	struct name **tabs[2] = { threads, vms };

	for (int t = 0; t < 2; t++) {
		for (int i = 0; i < NHASH; i++) {
			struct name *n = tabs[t][i], *next;

			for (; n; n = next) {
				next = n->next;
				free(n->text);
				free(n);
			}
			tabs[t][i] = NULL;
		}
	}
}
