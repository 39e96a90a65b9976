/* Benchmark stand-in for a scheduler that dies. With argv[1] = MS it announces, then keeps, an
 * appointment: it prints "exiting at boottime_ns=T" (T = now + MS) at once, sleeps until T on
 * CLOCK_BOOTTIME and _exit()s without writing anything else, so nothing of its own (a pipe write
 * for init to forward) lands between the moment of death and SCHD died. Without an argument it
 * stamps and dies at once (a death right at spawn). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static unsigned long long boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long at = boottime_ns();
	struct timespec ts;

	if (argc > 1)
		at += (unsigned long long)atoi(argv[1]) * 1000000ULL;
	printf("exiting at boottime_ns=%llu\n", at);
	fflush(stdout);
	ts.tv_sec = (time_t)(at / 1000000000ULL);
	ts.tv_nsec = (long)(at % 1000000000ULL);
	while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) != 0)
		;
	_exit(1);
}
