#include <string.h>

#include "init/net-order.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int nic_name_compare(const char *a, const char *b)
{
	while (*a && *b) {
		if (is_digit(*a) && is_digit(*b)) {
			size_t la, lb;
			int c;

			/* Leading zeros do not make a number bigger. */
			while (*a == '0' && is_digit(a[1]))
				a++;
			while (*b == '0' && is_digit(b[1]))
				b++;
			la = strspn(a, "0123456789");
			lb = strspn(b, "0123456789");
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
			if (c != 0)
				return c < 0 ? -1 : 1;
			a += la;
			b += lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* BOOTIF first, then by name. */
static bool nic_before(const struct nic *a, const struct nic *b, const struct hwaddr *bootif)
{
	bool ab = bootif && hwaddr_equal(&a->mac, bootif);
	bool bb = bootif && hwaddr_equal(&b->mac, bootif);

	if (ab != bb)
		return ab;
	return nic_name_compare(a->name, b->name) < 0;
}

size_t nic_order(struct nic *nics, size_t n, const struct hwaddr *bootif)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (nics[i].type == ARPHRD_ETHER_TYPE && nics[i].physical)
			nics[kept++] = nics[i];

	/* Insertion sort: a handful of NICs, stable, and needs no context-less comparator. */
	for (size_t i = 1; i < kept; i++) {
		struct nic cur = nics[i];
		size_t j = i;

		for (; j > 0 && nic_before(&cur, &nics[j - 1], bootif); j--)
			nics[j] = nics[j - 1];
		nics[j] = cur;
	}
	return kept;
}
