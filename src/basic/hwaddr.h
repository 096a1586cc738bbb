#pragma once

/* Ethernet (48-bit) hardware addresses: parsing the forms PXE and sysfs use, formatting. */

#include <stdbool.h>
#include <stdint.h>

#define HWADDR_LEN     6
#define HWADDR_STR_MAX 18 /* "aa:bb:cc:dd:ee:ff" + NUL */

struct hwaddr {
	uint8_t bytes[HWADDR_LEN];
};

/*
 * Parses six hex pairs separated by ':' or '-' (one separator throughout), any case, as in
 * sysfs "address" files. Returns 0 or -EINVAL.
 */
int hwaddr_parse(const char *s, struct hwaddr *ret);

/*
 * Parses a BOOTIF= value: the PXE form "01-aa-bb-cc-dd-ee-ff" (ARP hardware type 1, Ethernet,
 * then the address) or a plain address as hwaddr_parse() takes. Other hardware types are
 * -EINVAL.
 */
int hwaddr_parse_bootif(const char *s, struct hwaddr *ret);

/* Lowercase colon form into buf; returns buf. */
char *hwaddr_format(const struct hwaddr *a, char buf[static HWADDR_STR_MAX]);

bool hwaddr_equal(const struct hwaddr *a, const struct hwaddr *b);
