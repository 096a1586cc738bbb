/* sources: src/agent/hints.c src/agent/ironic.c src/agent/http.c src/agent/log.c
 * src/basic/strv.c */
/*
 * Root device hints, as the agent picks the install disk: the input is the node's
 * properties.root_device, on the way the agent gets it:
 *
 *   - spliced into a lookup answer, {"node": {"uuid": ..., "properties": {"root_device": INPUT}},
 *     "config": {}}, through ironic_parse_lookup() and then root_hints_select_for_node() (what
 *     agent_install_device() does) over a fixed list of fake disks;
 *   - parsed alone (64 levels, as ironic.c parses) and put in a node built here, as
 *     properties.root_device, as instance_info.root_device over an empty properties one, and
 *     as the one hint object of properties.skip_block_devices;
 *   - through root_hints_parse() and root_hints_match() of every disk, which must agree with
 *     what root_hints_select() picked.
 *
 * Invariants: only documented return values; an error text where the header promises one; the
 * picked disk is the first that matches, from the list and not skipped; without hints it is the
 * smallest of at least 4 GiB; a second selection gives the same answer.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hints.h"
#include "agent/ironic.h"
#include "agent/json-util.h"
#include "agent/log.h"

#include "fuzz.h"

#define GIB (1ULL << 30)

/* As disk_list() gives them: NVMe, SATA, virtio-scsi, virtio, and one with nothing known. */
static const struct disk disks[] = {
    {.name = "nvme0n1",
     .path = "/dev/nvme0n1",
     .size = 100 * GIB,
     .model = "QEMU NVMe Ctrl",
     .serial = "deadbeef",
     .wwn = "eui.0123456789abcdef",
     .by_path = "/dev/disk/by-path/pci-0000:00:05.0-nvme-1",
     .tran = "nvme"},
    {.name = "sda",
     .path = "/dev/sda",
     .size = 20 * GIB,
     .rotational = true,
     .model = "QEMU HARDDISK",
     .vendor = "ATA",
     .serial = "QM00001",
     .wwn = "0x5000c500a1b2c3d4",
     .wwn_with_extension = "0x5000c500a1b2c3d4",
     .hctl = "0:0:0:0",
     .by_path = "/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0",
     .tran = "sata"},
    {.name = "sdb",
     .path = "/dev/sdb",
     .size = 50 * GIB + 512,
     .model = "QEMU HARDDISK",
     .vendor = "QEMU",
     .serial = "scsi serial",
     .wwn = "0x6001405abcdef012",
     .wwn_with_extension = "0x6001405abcdef0123456789abcdef012",
     .wwn_vendor_extension = "0x3456789abcdef012",
     .hctl = "2:0:1:0",
     .by_path = "/dev/disk/by-path/pci-0000:00:03.0-scsi-0:0:1:0"},
    {.name = "vda", .path = "/dev/vda", .size = 3 * GIB, .rotational = true, .vendor = "0x1af4"},
    {.name = "vdb", .path = "/dev/vdb", .size = 20 * GIB, .vendor = "0x1af4", .serial = "  "},
    {.name = "vdc", .path = "/dev/vdc", .size = 4 * GIB},
    {.name = "sr0", .path = "/dev/sr0", .size = 0, .model = "QEMU DVD-ROM", .tran = "ata"},
};
#define N_DISKS (sizeof(disks) / sizeof(disks[0]))

#define LOOKUP_HEAD                                                                                \
	"{\"node\": {\"uuid\": \"1be26c0b-03f2-4d2e-ae87-c02d7f33c123\", \"properties\": "         \
	"{\"root_device\": "
#define LOOKUP_TAIL "}}, \"config\": {}}"

static size_t disk_index(const struct disk *d)
{
	for (size_t i = 0; i < N_DISKS; i++)
		if (d == &disks[i])
			return i;
	return N_DISKS;
}

/* What root_hints_select() must pick, worked out from the parts: 0 and *ret, or -ENODEV. */
static int expected_pick(json_object *root_device, const bool *skip, const struct disk **ret)
{
	_cleanup_root_hints_ struct root_hints *h = NULL;
	const struct disk *best = NULL;
	char *err = NULL;
	int r;

	r = root_hints_parse(root_device, &h, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "root_hints_parse returned %d", r);
	FUZZ_CHECK(r == 0 || !h, "root_hints_parse failed with %d but gave hints", r);
	FUZZ_CHECK(r != 0 || !err, "root_hints_parse succeeded with an error text: %s", err);
	FUZZ_CHECK(r != -EINVAL || (err && *err), "root_hints_parse -EINVAL without a text");
	free(err);
	if (r < 0)
		return r == -ENOMEM ? r : -ENODEV;

	if (!h) { /* no hints: the smallest of at least 4 GiB, then by path */
		for (size_t i = 0; i < N_DISKS; i++) {
			if ((skip && skip[i]) || disks[i].size < ROOT_HINT_MIN_SIZE)
				continue;
			if (!best || disks[i].size < best->size ||
			    (disks[i].size == best->size && strcmp(disks[i].path, best->path) < 0))
				best = &disks[i];
		}
		*ret = best;
		return best ? 0 : -ENODEV;
	}

	for (size_t i = 0; i < N_DISKS; i++) {
		if (skip && skip[i])
			continue;
		err = NULL;
		r = root_hints_match(h, &disks[i], &err);
		FUZZ_CHECK(r == 0 || r == 1 || r == -EINVAL || r == -ENOMEM,
			   "root_hints_match returned %d", r);
		FUZZ_CHECK(r != -EINVAL || (err && *err),
			   "root_hints_match -EINVAL without a text");
		FUZZ_CHECK(r == -EINVAL || !err, "root_hints_match %d with a text: %s", r, err);
		free(err);
		if (r == -ENOMEM)
			return r;
		if (r < 0) /* the comparison fails in IPA: the selection stops there */
			return -ENODEV;
		if (r == 1) {
			*ret = &disks[i];
			return 0;
		}
	}
	return -ENODEV;
}

/* root_hints_select() against expected_pick(), twice. */
static void fuzz_select(json_object *root_device, const bool *skip)
{
	const struct disk *want = NULL;
	int e = expected_pick(root_device, skip, &want);

	for (int pass = 0; pass < 2; pass++) {
		const struct disk *d = NULL;
		char *err = NULL;
		int r = root_hints_select(root_device, disks, N_DISKS, skip, &d, &err);

		FUZZ_CHECK(r == 0 || r == -ENODEV || r == -ENOMEM, "root_hints_select returned %d",
			   r);
		if (r == -ENOMEM || e == -ENOMEM) {
			free(err);
			return;
		}
		FUZZ_CHECK(r == e, "root_hints_select returned %d, the parts say %d", r, e);
		FUZZ_CHECK(r != 0 || d == want, "root_hints_select picked disk %zu, the parts %zu",
			   disk_index(d), disk_index(want));
		FUZZ_CHECK(r != 0 || !skip || !skip[disk_index(d)],
			   "root_hints_select picked skipped disk %zu", disk_index(d));
		FUZZ_CHECK(r != -ENODEV || (err && *err),
			   "root_hints_select -ENODEV without a text");
		FUZZ_CHECK(r != 0 || !err, "root_hints_select succeeded with a text: %s", err);
		free(err);
	}
}

/* root_hints_select_for_node(), as agent_install_device() calls it. */
static void fuzz_node(json_object *node)
{
	const struct disk *d = NULL;
	bool skip[N_DISKS];
	char *err = NULL;
	int r, rs;

	r = root_hints_select_for_node(node, disks, N_DISKS, &d, &err);
	FUZZ_CHECK(r == 0 || r == -ENODEV || r == -EINVAL || r == -ENOMEM,
		   "root_hints_select_for_node returned %d", r);
	FUZZ_CHECK(r != 0 || disk_index(d) < N_DISKS, "root_hints_select_for_node: no listed disk");
	FUZZ_CHECK(r == 0 || r == -ENOMEM || (err && *err),
		   "root_hints_select_for_node %d without a text", r);
	free(err);

	/* The same selection in its two steps. */
	err = NULL;
	rs = root_hints_skip_list(node, disks, N_DISKS, skip, &err);
	FUZZ_CHECK(rs == 0 || rs == -EINVAL || rs == -ENOMEM, "root_hints_skip_list returned %d",
		   rs);
	FUZZ_CHECK(rs != -EINVAL || (err && *err), "root_hints_skip_list -EINVAL without a text");
	free(err);
	if (rs == 0) {
		FUZZ_CHECK(r != -EINVAL, "root_hints_select_for_node -EINVAL, the skip list none");
		fuzz_select(root_hints_from_node(node), skip);
		FUZZ_CHECK(r != 0 || !skip[disk_index(d)], "a skipped disk picked");
	}
}

/* {"instance_info": {"root_device": ii}, "properties": {"root_device": pr, ...}} */
static json_object *make_node(json_object *ii, json_object *pr, json_object *skip_list)
{
	json_object *node = json_object_new_object(), *props = json_object_new_object();

	if (!node || !props)
		abort();
	if (ii) {
		json_object *info = json_object_new_object();

		if (!info)
			abort();
		json_object_object_add(info, "root_device", json_object_get(ii));
		json_object_object_add(node, "instance_info", info);
	}
	json_object_object_add(props, "root_device", json_object_get(pr));
	if (skip_list)
		json_object_object_add(props, "skip_block_devices", json_object_get(skip_list));
	json_object_object_add(node, "properties", props);
	return node;
}

static void fuzz_lookup(const uint8_t *data, size_t size)
{
	size_t head = sizeof(LOOKUP_HEAD) - 1, tail = sizeof(LOOKUP_TAIL) - 1;
	struct ironic_lookup l;
	char *body, *err = NULL;
	int r;

	if (size > IRONIC_BODY_MAX - head - tail)
		return;
	body = malloc(head + size + tail);
	if (!body)
		abort();
	memcpy(body, LOOKUP_HEAD, head);
	memcpy(body + head, data, size);
	memcpy(body + head + size, LOOKUP_TAIL, tail);
	r = ironic_parse_lookup(body, head + size + tail, &l, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM, "ironic_parse_lookup returned %d", r);
	if (r == 0)
		fuzz_node(l.node);
	ironic_lookup_done(&l);
	free(err);
	free(body);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_tokener *tok;
	json_object *v = NULL, *node, *list, *size_hint;

	fuzz_lookup(data, size);

	if (size == 0 || size > INT32_MAX)
		return 0;
	tok = json_tokener_new_ex(64);
	if (!tok)
		abort();
	v = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(v);
		json_tokener_free(tok);
		return 0;
	}
	json_tokener_free(tok);

	fuzz_select(v, NULL);

	node = make_node(NULL, v, NULL);
	fuzz_node(node);
	json_object_put(node);

	/* instance_info's hints win when true; properties' are the fallback. */
	node = make_node(v, NULL, NULL);
	fuzz_node(node);
	json_object_put(node);

	/* The input as a disk to skip, with a size hint that every large disk meets. */
	list = json_object_new_array();
	if (!list)
		abort();
	json_object_array_add(list, json_object_get(v));
	size_hint = json_tokener_parse("{\"size\": \">= 1\"}");
	if (!size_hint)
		abort();
	node = make_node(NULL, size_hint, list);
	fuzz_node(node);
	json_object_put(node);
	json_object_put(list);
	json_object_put(size_hint);

	json_object_put(v);
	return 0;
}
