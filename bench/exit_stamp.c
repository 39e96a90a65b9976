/* Benchmark stand-in for a scheduler that dies: optionally sleeps argv[1] ms, then prints its
 * CLOCK_BOOTTIME and _exit()s, so the time to SCHD died measures init's reaction, not a real
 * scheduler's exit path. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;

	if (argc > 1)
		usleep((useconds_t)atoi(argv[1]) * 1000);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("exiting at boottime_ns=%llu\n", (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	fflush(stdout);
	_exit(1);
}
