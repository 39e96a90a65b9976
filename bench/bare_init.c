/* Benchmark baseline: the most trivial PID 1 a test VM could have. It mounts what any init
 * mounts, writes one line on COM2 (/dev/ttyS1), and reboots, so QEMU exits. The bench boots it
 * "the usual way" (bzImage, plain cmdline) as the floor that ktstr-vm's whole run is compared
 * with. Static; nothing else in its initramfs. */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	static const char line[] = "bare-init: up\n";
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		(void)!write(fd, line, strlen(line));
		fsync(fd);
		close(fd);
	}
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
