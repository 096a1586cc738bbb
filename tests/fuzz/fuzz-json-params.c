/* sources: src/agent/hints.c src/agent/checksum.c src/agent/ironic.c src/agent/http.c
 * src/agent/log.c src/basic/strv.c src/basic/hexdecoct.c */
/*
 * The JSON the agent takes from the conductor and from Ironic's API, through the handlers that
 * parse it without touching a disk. The input is one document, given to every parser:
 *
 *   - root device hints: the input itself, and its "root_device" member, as root_device of
 *     root_hints_parse() and root_hints_select() over a fixed list of fake disks; the input as
 *     a node for root_hints_select_for_node() (instance_info/properties.root_device,
 *     properties.skip_block_devices);
 *   - image checksums: the input, and its "image_info" member, as image_info of
 *     checksum_validate_image_info() and checksum_spec_from_image_info(), md5 on and off; the
 *     raw bytes as a checksum file for checksum_file_find() (the image URL from urls[0] when
 *     there is one) and its answer through checksum_spec_resolve();
 *   - Ironic's answers: the raw bytes to ironic_parse_lookup(), ironic_parse_root() and
 *     ironic_error_text().
 *
 * Invariants: only the documented return values; an error text exactly when documented; a
 * selected disk from the list.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/checksum.h"
#include "agent/hints.h"
#include "agent/ironic.h"
#include "agent/json-util.h"
#include "agent/log.h"

#include "fuzz.h"

#define GIB (1ULL << 30)

/* As disk_list() gives them for a machine with NVMe, SATA, virtio-scsi and virtio disks. */
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
    {.name = "vdc", .path = "/dev/vdc", .size = 1},
};
#define N_DISKS (sizeof(disks) / sizeof(disks[0]))

static bool is_listed(const struct disk *d)
{
	for (size_t i = 0; i < N_DISKS; i++)
		if (d == &disks[i])
			return true;
	return false;
}

static void fuzz_hints(json_object *root_device)
{
	struct root_hints *h = NULL;
	const struct disk *d = NULL;
	char *err = NULL;
	bool skip[N_DISKS] = {false, true};
	int r;

	r = root_hints_parse(root_device, &h, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "root_hints_parse returned %d", r);
	FUZZ_CHECK(r == 0 || !h, "root_hints_parse failed with %d but returned hints", r);
	FUZZ_CHECK(r != 0 || !err, "root_hints_parse succeeded with an error text: %s", err);
	if (r == 0) {
		for (size_t i = 0; i < N_DISKS; i++) {
			char *e = NULL;
			int m = root_hints_match(h, &disks[i], &e);

			FUZZ_CHECK(m == 0 || m == 1 || m == -EINVAL || m == -ENOMEM,
				   "root_hints_match returned %d", m);
			FUZZ_CHECK(m != -EINVAL || e, "root_hints_match -EINVAL without a text");
			free(e);
		}
	}
	root_hints_free(h);
	free(err);

	for (int pass = 0; pass < 2; pass++) {
		err = NULL;
		d = NULL;
		r = root_hints_select(root_device, disks, N_DISKS, pass ? skip : NULL, &d, &err);
		FUZZ_CHECK(r == 0 || r == -ENODEV || r == -ENOMEM, "root_hints_select returned %d",
			   r);
		FUZZ_CHECK(r != 0 || (d && is_listed(d)),
			   "root_hints_select picked no listed disk");
		FUZZ_CHECK(r != 0 || !pass || d != &disks[1],
			   "root_hints_select picked a skipped disk");
		FUZZ_CHECK(r != -ENODEV || err, "root_hints_select -ENODEV without a text");
		free(err);
	}
}

static void fuzz_node(json_object *node)
{
	const struct disk *d = NULL;
	char *err = NULL;
	int r;

	(void)root_hints_from_node(node);
	r = root_hints_select_for_node(node, disks, N_DISKS, &d, &err);
	FUZZ_CHECK(r == 0 || r == -ENODEV || r == -EINVAL || r == -ENOMEM,
		   "root_hints_select_for_node returned %d", r);
	FUZZ_CHECK(r != 0 || (d && is_listed(d)), "root_hints_select_for_node picked no disk");
	free(err);
}

static void check_error(const struct image_error *e, int r, const char *what)
{
	FUZZ_CHECK(r != -EINVAL || (e->type && e->message && e->details),
		   "%s: -EINVAL without an error", what);
}

static void fuzz_image_info(json_object *image_info, const char *text, size_t len)
{
	const char *image_url = "http://127.0.0.1:8088/wholedisk.raw";
	json_object *urls = json_get(image_info, "urls", json_type_array);
	json_object *u0 = urls ? json_object_array_get_idx(urls, 0) : NULL;

	if (u0 && json_object_is_type(u0, json_type_string))
		image_url = json_object_get_string(u0);

	for (int md5 = 0; md5 < 2; md5++) {
		struct image_error e = {0};
		struct checksum_spec s = {0};
		char *found = NULL;
		int r;

		r = checksum_validate_image_info(image_info, md5, &e);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM,
			   "checksum_validate_image_info returned %d", r);
		check_error(&e, r, "checksum_validate_image_info");
		image_error_done(&e);

		r = checksum_spec_from_image_info(image_info, md5, &s, &e);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM,
			   "checksum_spec_from_image_info returned %d", r);
		check_error(&e, r, "checksum_spec_from_image_info");
		FUZZ_CHECK(r != 0 || s.value, "checksum_spec_from_image_info gave no value");
		FUZZ_CHECK(r != 0 || s.algo == CHECKSUM_ALGO_BY_LENGTH ||
			       checksum_algo_to_string(s.algo),
			   "checksum_spec_from_image_info gave algorithm %d", (int)s.algo);
		image_error_done(&e);
		if (r == 0) {
			/* The spec's value (a URL) names the checksum file the raw input plays. */
			r = checksum_file_find(text, len, image_url, s.value, &found, &e);
			FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -ENOMEM ||
				       r == -EFBIG,
				   "checksum_file_find returned %d", r);
			FUZZ_CHECK(r != 0 || found, "checksum_file_find found nothing");
			image_error_done(&e);
			if (r == 0 && s.value_is_url) {
				r = checksum_spec_resolve(&s, found, md5, &e);
				FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM,
					   "checksum_spec_resolve returned %d", r);
				FUZZ_CHECK(r != 0 || checksum_algo_to_string(s.algo),
					   "checksum_spec_resolve left algorithm %d", (int)s.algo);
				image_error_done(&e);
			}
			free(found);
		}
		checksum_spec_done(&s);
	}
}

static void fuzz_checksum_file(const char *text, size_t len)
{
	static const char *const urls[] = {
	    "http://127.0.0.1:8088/wholedisk.raw",
	    "https://example.com/images/disk.qcow2?version=2#frag",
	    "http://h/",
	    "file:///srv/image.img",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct image_error e = {0};
		char *found = NULL;
		int r = checksum_file_find(text, len, urls[i], "http://127.0.0.1:8088/SHA256SUMS",
					   &found, &e);

		FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -ENOMEM || r == -EFBIG,
			   "checksum_file_find returned %d", r);
		FUZZ_CHECK(r != 0 || found, "checksum_file_find found nothing");
		FUZZ_CHECK(r == 0 || r == -ENOMEM || e.details, "checksum_file_find: no error set");
		free(found);
		image_error_done(&e);
	}
}

static void fuzz_ironic(const char *text, size_t len)
{
	struct ironic_lookup l;
	struct ironic_version v = {0, 0};
	char *err = NULL, *fs;
	int r;

	r = ironic_parse_lookup(text, len, &l, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM, "ironic_parse_lookup returned %d", r);
	FUZZ_CHECK(r != -EBADMSG || err, "ironic_parse_lookup -EBADMSG without a text");
	if (r == 0) {
		FUZZ_CHECK(l.node_uuid && *l.node_uuid, "a lookup without node_uuid");
		FUZZ_CHECK(json_object_is_type(l.node, json_type_object), "node is not an object");
		FUZZ_CHECK(json_object_is_type(l.config, json_type_object),
			   "config is not an object");
		FUZZ_CHECK(l.heartbeat_timeout > 0 && l.heartbeat_timeout <= 86400,
			   "heartbeat_timeout %u", l.heartbeat_timeout);
		FUZZ_CHECK(!l.token || strlen(l.token) >= IRONIC_TOKEN_MIN, "short token %s",
			   l.token);
	}
	ironic_lookup_done(&l);
	free(err);

	r = ironic_parse_root(text, len, &v);
	FUZZ_CHECK(r == 0 || r == -EBADMSG, "ironic_parse_root returned %d", r);

	fs = ironic_error_text(text, len);
	free(fs);
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
	const char *text = (const char *)data;
	json_tokener *tok;
	json_object *o = NULL, *member;

	fuzz_ironic(text, size);
	fuzz_checksum_file(text, size);

	/* As the API parses a command body: bounded depth, the whole input. */
	if (size > 0 && size <= INT32_MAX) {
		tok = json_tokener_new_ex(64);
		if (!tok)
			abort();
		o = json_tokener_parse_ex(tok, text, (int)size);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	if (!o && !(size == 4 && memcmp(text, "null", 4) == 0))
		return 0;

	fuzz_hints(o);
	member = json_get(o, "root_device", json_type_object);
	if (member)
		fuzz_hints(member);
	fuzz_node(o);
	member = json_get(o, "node", json_type_object);
	if (member)
		fuzz_node(member);

	fuzz_image_info(o, text, size);
	member = json_get(o, "image_info", json_type_object);
	if (member)
		fuzz_image_info(member, text, size);

	json_object_put(o);
	return 0;
}
