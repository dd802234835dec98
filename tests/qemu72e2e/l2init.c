// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the tiny L2 initramfs (make e2e-qemu72): say the marker on the
 * console and power the pseries VM off, so QEMU exits by itself.  The
 * e2e run measures the boot up to the marker and the L1 -> L0 hcalls the
 * whole VM costs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	static const char marker[] = "L2: HELLO\n";
	int fd = open("/dev/console", O_WRONLY);

	if (fd < 0)
		fd = 1;
	if (write(fd, marker, strlen(marker)) < 0)
		return 1;
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached unless the kernel refused: a panic says so too. */
	perror("L2: reboot");
	return 1;
}
