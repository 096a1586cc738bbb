/*
 * ingot-init: PID 1 of the ingot deploy ramdisk. See manager.h for what it does and the
 * modules it uses; this file only checks it really is PID 1 and never lets PID 1 exit, which
 * would panic the kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "init/manager.h"

int main(void)
{
	struct manager m;

	/* On a host by mistake: touch nothing. */
	if (getpid() != 1) {
		fprintf(stderr, "ingot-init: must run as pid 1, not as pid %d\n", (int)getpid());
		return EXIT_FAILURE;
	}

	manager_init(&m);
	manager_setup(&m);
	for (;;) {
		const struct timespec pause = {.tv_sec = 1};
		int r = manager_run(&m);

		console_log(&m.con, "main loop failed: %s, resuming", strerror(-r));
		nanosleep(&pause, NULL);
	}
	/* Not reached: PID 1 tears nothing down, power_shutdown() ends the system. */
}
