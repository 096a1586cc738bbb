/* sources: src/agent/hints.c */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hints.h"

#include "test.h"

#define GIB (1ULL << 30)

/* Disks as disk_list() gives them for a machine with SATA, virtio-scsi, virtio and NVMe. */
static struct disk disks[] = {
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
};
#define N_DISKS (sizeof(disks) / sizeof(disks[0]))

/* The disk root_device selects ("" when none), and the error text into err. */
static const char *pick(const char *json, char *err, size_t size)
{
	json_object *o = json_tokener_parse(json);
	const struct disk *d = NULL;
	char *e = NULL;
	int r;

	err[0] = '\0';
	if (!o && strcmp(json, "null") != 0)
		return "(bad test json)";
	r = root_hints_select(o, disks, N_DISKS, NULL, &d, &e);
	json_object_put(o);
	if (e)
		snprintf(err, size, "%s", e);
	free(e);
	return r == 0 ? d->name : r == -ENODEV ? "" : "(error)";
}

/* The ValueError of root_hints_parse() for json, "" when valid. */
static const char *parse_error(const char *json, char *err, size_t size)
{
	json_object *o = json_tokener_parse(json);
	struct root_hints *h = NULL;
	char *e = NULL;
	int r;

	r = root_hints_parse(o, &h, &e);
	snprintf(err, size, "%s", r == 0 ? "" : e ? e : "(no text)");
	free(e);
	root_hints_free(h);
	json_object_put(o);
	return err;
}

#define PICK(json, want)                                                                           \
	do {                                                                                       \
		const char *got_ = pick(json, err, sizeof(err));                                   \
		CHECK(strcmp(got_, want) == 0, "%s -> '%s' (%s) %s", json, got_, want, err);       \
	} while (0)

#define PARSE_ERROR(json, want)                                                                    \
	CHECK(strcmp(parse_error(json, err, sizeof(err)), want) == 0, "%s: error '%s'", json, err)

int main(void)
{
	char err[1024];

	/* no hints: guess_root_disk(), the smallest disk of at least 4 GiB, ties by name */
	PICK("null", "sda");
	PICK("{}", "sda");
	PICK("\"\"", "sda");
	{
		const struct disk *d = NULL;
		bool skip[N_DISKS] = {false, true};
		char *e = NULL;

		CHECK(root_hints_select(NULL, disks, N_DISKS, skip, &d, &e) == 0 &&
			  strcmp(d->name, "vdb") == 0,
		      "skipped sda: the equal-sized vdb");
		CHECK(root_hints_select(NULL, disks + 3, 1, NULL, &d, &e) == -ENODEV &&
			  strcmp(e,
				 "No suitable device was found for deployment - root device hints "
				 "were not provided and all found block devices are smaller than "
				 "4294967296B.") == 0,
		      "only a 3 GiB disk: '%s'", e);
		free(e);
		e = NULL;
		CHECK(root_hints_select(NULL, disks, 0, NULL, &d, &e) == -ENODEV, "no disks");
		free(e);
	}

	/* size: GiB, numeric operators, no operator means == */
	PICK("{\"size\": 20}", "sda");
	PICK("{\"size\": \"20\"}", "sda");
	PICK("{\"size\": \"== 20\"}", "sda");
	PICK("{\"size\": \">= 50\"}", "nvme0n1");
	PICK("{\"size\": \"> 20\"}", "nvme0n1");
	PICK("{\"size\": \"< 20\"}", "vda");
	PICK("{\"size\": \"<= 20\"}", "sda");
	PICK("{\"size\": \"!= 100\"}", "sda");
	PICK("{\"size\": \"= 30\"}", "nvme0n1"); /* "=" is >= */
	PICK("{\"size\": 50}", "");		 /* 50 GiB + 512 bytes is not 50 */
	PICK("{\"size\": \"  >=   60 \"}", "nvme0n1");
	PICK("{\"size\": \"s== 20\"}", "");	      /* a float never equals a string */
	PICK("{\"size\": \"<or> 20 <or> 100\"}", ""); /* likewise */
	PICK("{\"size\": \"s!= 20\"}", "nvme0n1");
	PICK("{\"size\": \"<in> 20\"}", "");
	CHECK(strstr(err, "because they failed to validate") != NULL, "<in> on size fails: %s",
	      err);
	PICK("{\"size\": \"S== 20\"}", ""); /* IPA: "== S== 20" */
	CHECK(strstr(err, "could not convert string to float: 's=='") ||
		  strstr(err, "could not convert string to float: 'S=='"),
	      "upper-case operator on size: %s", err);

	/* strings: normalised, s== by default, case-insensitive */
	PICK("{\"model\": \"qemu harddisk\"}", "sda");
	PICK("{\"model\": \"  QEMU   HARDDISK \"}", ""); /* inner blanks count */
	PICK("{\"model\": \"s== QEMU HARDDISK\"}", "sda");
	PICK("{\"model\": \"<in> nvme\"}", "nvme0n1");
	PICK("{\"model\": \"<in> HARD\"}", "sda");
	PICK("{\"model\": \"s!= qemu harddisk\"}", "nvme0n1");
	PICK("{\"model\": \"<or> foo <or> qemu harddisk\"}", "sda");
	PICK("{\"model\": \"<or> foo <or> bar\"}", "");
	PICK("{\"serial\": \"s> qm\"}", "sda");	   /* "qm00001" */
	PICK("{\"model\": \"s< qemu i\"}", "sda"); /* "qemu%20h" < "qemu%20i" */
	PICK("{\"model\": \"s<= qemu harddisk\"}", "sda");
	PICK("{\"model\": \"s>= qemu nvme\"}", "nvme0n1");
	PICK("{\"serial\": \"scsi serial\"}", "sdb");
	PICK("{\"vendor\": \"0x1AF4\"}", "vda");
	PICK("{\"wwn\": \"0x6001405ABCDEF012\"}", "sdb");
	PICK("{\"wwn_with_extension\": \"0x6001405abcdef0123456789abcdef012\"}", "sdb");
	PICK("{\"wwn_vendor_extension\": \"0x3456789abcdef012\"}", "sdb");
	PICK("{\"wwn\": \"eui.0123456789abcdef\"}", "nvme0n1");
	PICK("{\"hctl\": \"2:0:1:0\"}", "sdb");
	PICK("{\"by_path\": \"/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0\"}", "sda");
	PICK("{\"tran\": \"sata\"}", "sda");
	PICK("{\"name\": \"/dev/sdb\"}", "sdb");
	PICK("{\"name\": \"sdb\"}", ""); /* IPA compares with the /dev/ path */
	PICK("{\"name\": \"<in> vd\"}", "vda");
	PICK("{\"wwn\": \"none\"}", "vda"); /* str(None) */
	PICK("{\"serial\": \"<in> e\"}", "nvme0n1");
	PICK("{\"model\": \"> 5\"}", "");
	CHECK(strstr(err, "could not convert string to float: 'qemu%20nvme%20ctrl'") != NULL,
	      "numeric operator on a string: %s", err);
	PICK("{\"serial\": \"<all-in> a\"}", "");
	CHECK(strstr(err, "failed to validate") != NULL, "<all-in> fails: %s", err);
	PICK("{\"serial\": \"<range-in> [ 1 2 ]\"}", "");
	CHECK(strstr(err, "failed to validate") != NULL, "<range-in> fails: %s", err);

	/* booleans, several hints, order */
	PICK("{\"rotational\": true}", "sda");
	PICK("{\"rotational\": false}", "nvme0n1");
	PICK("{\"rotational\": \"Yes\"}", "sda");
	PICK("{\"rotational\": 0}", "nvme0n1");
	PICK("{\"rotational\": true, \"size\": \"< 10\"}", "vda");
	PICK("{\"vendor\": \"0x1af4\", \"size\": 20}", "vdb");
	PICK("{\"model\": \"qemu harddisk\", \"rotational\": false}", "sdb");

	/* no match, and the texts of IPA's DeviceNotFound */
	PICK("{\"model\": \"foo\", \"rotational\": true}", "");
	CHECK(strcmp(err, "No suitable device was found for deployment using these hints "
			  "{'model': 'foo', 'rotational': True}") == 0,
	      "no match text: %s", err);
	PICK("{\"size\": \"big\"}", "");
	CHECK(strcmp(err,
		     "No devices could be found using the root device hints {'size': 'big'} "
		     "because they failed to validate. Error: Root device hint \"size\" is not "
		     "an integer value. Current value: big") == 0,
	      "validation text: %s", err);

	/* invalid hints: ironic-lib's ValueError texts */
	PARSE_ERROR("{\"size\": 10, \"foo\": 1, \"bar\": 2}",
		    "The hints \"foo, bar\" are invalid. Valid hints are: \"size, model, wwn, "
		    "serial, vendor, wwn_with_extension, wwn_vendor_extension, name, rotational, "
		    "hctl, by_path, tran\"");
	PARSE_ERROR("{\"size\": 0}",
		    "Root device hint \"size\" should be a positive integer. Current value: 0");
	PARSE_ERROR("{\"size\": \">= -1\"}",
		    "Root device hint \"size\" should be a positive integer. Current value: >= -1");
	PARSE_ERROR("{\"size\": 10.5}",
		    "Root device hint \"size\" is not an integer value. Current value: 10.5");
	PARSE_ERROR("{\"size\": true}",
		    "Root device hint \"size\" is not an integer value. Current value: True");
	PARSE_ERROR("{\"size\": null}",
		    "Root device hint \"size\" is not an integer value. Current value: None");
	PARSE_ERROR(
	    "{\"size\": \"<range-in> [ 10 20 ]\"}",
	    "Root device hint \"size\" is not an integer value. Current value: <range-in> [ "
	    "10 20 ]");
	PARSE_ERROR("{\"size\": \" \"}", "Root device hint \"size\" expression is empty");
	PARSE_ERROR("{\"size\": \"<or> 10 <or> 2_0\"}", "");
	PARSE_ERROR("{\"model\": 123}",
		    "Root device hint \"model\" is not a string value. Hint expression: 123");
	PARSE_ERROR("{\"name\": [\"a\", 1]}",
		    "Root device hint \"name\" is not a string value. Hint expression: ['a', 1]");
	PARSE_ERROR("{\"model\": \"\"}", "Root device hint \"model\" expression is empty");
	PARSE_ERROR("{\"rotational\": \"maybe\"}",
		    "Root device hint \"rotational\" is not a Boolean value. Current value: maybe");
	PARSE_ERROR("{\"rotational\": 2}",
		    "Root device hint \"rotational\" is not a Boolean value. Current value: 2");
	PARSE_ERROR("{\"rotational\": \" OFF \"}", "");
	PARSE_ERROR("{\"model\": \"s==\"}",
		    "Root device hint \"model\" expression \"s==\" cannot be parsed");
	parse_error("{\"model\": \"x\"}", err, sizeof(err));
	CHECK(err[0] == '\0', "a plain model is valid");

	/* the node: instance_info first, then properties; skip_block_devices */
	{
		json_object *node = json_tokener_parse(
		    "{\"instance_info\": {\"root_device\": {}},"
		    " \"properties\": {\"root_device\": {\"size\": \">= 50\"},"
		    "  \"skip_block_devices\": [{\"name\": \"/dev/nvme0n1\"}, {\"volume_name\": "
		    "\"r\"}]}}");
		const struct disk *d = NULL;
		bool skip[N_DISKS];
		char *e = NULL;

		CHECK(root_hints_skip_list(node, disks, N_DISKS, skip, &e) == 0 && skip[0] &&
			  !skip[1] && !skip[2],
		      "skip list by name");
		CHECK(root_hints_select_for_node(node, disks, N_DISKS, &d, &e) == 0 &&
			  strcmp(d->name, "sdb") == 0,
		      "properties' hints, nvme0n1 skipped: %s", d ? d->name : e);
		json_object_put(node);

		node = json_tokener_parse(
		    "{\"instance_info\": {\"root_device\": {\"name\": "
		    "\"/dev/vda\"}}, \"properties\": {\"root_device\": {\"size\": "
		    "20}}}");
		CHECK(root_hints_select_for_node(node, disks, N_DISKS, &d, &e) == 0 &&
			  strcmp(d->name, "vda") == 0,
		      "instance_info's hints win");
		json_object_put(node);

		node = json_tokener_parse("{\"properties\": {\"skip_block_devices\": [{\"sizes\": "
					  "1}]}}");
		CHECK(root_hints_skip_list(node, disks, N_DISKS, skip, &e) == -EINVAL && e &&
			  strstr(e, "The hints \"sizes\" are invalid") == e,
		      "invalid skip hint: %s", e ? e : "");
		free(e);
		json_object_put(node);
	}

	return failures ? 1 : 0;
}
