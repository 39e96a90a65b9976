/* Benchmark stand-in for a scheduler that dies: prints its CLOCK_BOOTTIME and _exit()s at once,
 * so the time to SCHD died measures init's reaction, not a real scheduler's exit path. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("exiting at boottime_ns=%llu\n", (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	fflush(stdout);
	_exit(1);
}
