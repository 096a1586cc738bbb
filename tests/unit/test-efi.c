#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/efi-boot.h"
#include "agent/efi-loader.h"
#include "agent/efi.h"

#include "test.h"
#include "basic/hexdecoct.h"

static char top[] = "/tmp/test-efi.XXXXXX";

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[2 * 4096 + 1];

	buf[0] = 0;
	for (size_t i = 0; i < n && i < 4096; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	return buf;
}

/* Writes a raw efivarfs file: 4 bytes of attributes, then data. */
static void put_var(int dfd, const char *name, uint32_t attr, const void *data, size_t size)
{
	char path[128];
	uint8_t buf[4096];
	int fd;

	snprintf(path, sizeof(path), "%s-%s", name, EFI_GLOBAL_GUID_STR);
	efi_put_le(buf, attr, 4);
	memcpy(buf + 4, data, size);
	fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, size + 4) != (ssize_t)(size + 4))
		perror(path);
	if (fd >= 0)
		close(fd);
}

static bool var_exists(int dfd, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s-%s", name, EFI_GLOBAL_GUID_STR);
	return faccessat(dfd, path, F_OK, 0) == 0;
}

/* BootOrder as "0002,0001" (or "" when absent). */
static const char *order_str(int dfd)
{
	static char buf[512];
	uint16_t *o = NULL;
	size_t n = 0, k = 0;

	buf[0] = 0;
	if (efi_boot_order_get(dfd, &o, &n) < 0)
		return "error";
	for (size_t i = 0; i < n && k + 6 < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%04X", i ? "," : "", o[i]);
	free(o);
	return buf;
}

static void put_order(int dfd, uint32_t attr, const uint16_t *o, size_t n)
{
	uint8_t b[64];

	for (size_t i = 0; i < n; i++)
		efi_put_le(b + 2 * i, o[i], 2);
	put_var(dfd, "BootOrder", attr, b, 2 * n);
}

/* A load option with a hand-made device path (for kinds efi_load_option_build() never makes). */
static size_t make_option(uint8_t *out, const char *desc, const uint8_t *dp, size_t dp_size)
{
	size_t n = 0;

	efi_put_le(out, EFI_LOAD_OPTION_ACTIVE, 4);
	efi_put_le(out + 4, dp_size, 2);
	n = 6;
	for (const char *s = desc;; s++) {
		efi_put_le(out + n, (uint8_t)*s, 2);
		n += 2;
		if (!*s)
			break;
	}
	memcpy(out + n, dp, dp_size);
	return n + dp_size;
}

static char *label_of(int dfd, uint16_t num)
{
	struct efi_load_option o;
	char *s;

	if (efi_boot_entry_get(dfd, num, &o) < 0)
		return strdup("?");
	s = strdup(o.description);
	efi_load_option_done(&o);
	return s;
}

static void mkfile(const char *rel, mode_t mode, const void *data, size_t size)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	for (char *p = path + strlen(top) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		perror(path);
	if (fd >= 0) {
		fchmod(fd, mode);
		close(fd);
	}
}

/* UTF-16 of an ASCII string, with or without a BOM, either byte order. */
static size_t utf16(uint8_t *out, const char *s, bool bom, bool be)
{
	size_t n = 0;

	if (bom) {
		out[n++] = be ? 0xfe : 0xff;
		out[n++] = be ? 0xff : 0xfe;
	}
	for (; *s; s++) {
		out[n++] = be ? 0 : (uint8_t)*s;
		out[n++] = be ? (uint8_t)*s : 0;
	}
	return n;
}

static int open_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	mkdir(path, 0755);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void test_guid(void)
{
	static const uint8_t want[16] = {0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd,
					 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	uint8_t g[16];
	char s[37];

	CHECK(guid_from_string("01234567-89AB-cdef-0123-456789abcdef", g) == 0 &&
		  memcmp(g, want, 16) == 0,
	      "GUID text to EFI_GUID bytes (%s)", hex(g, 16));
	CHECK(strcmp(guid_to_string(g, s), "01234567-89ab-cdef-0123-456789abcdef") == 0,
	      "EFI_GUID bytes to text");
	CHECK(guid_from_string("01234567-89ab-cdef-0123-456789abcde", g) == -EINVAL &&
		  guid_from_string("01234567x89ab-cdef-0123-456789abcdef", g) == -EINVAL &&
		  guid_from_string("0123456g-89ab-cdef-0123-456789abcdef", g) == -EINVAL,
	      "bad GUID text: -EINVAL");
}

static const struct efi_partition test_part = {
    .number = 1,
    .start = 2048,
    .size = 204800,
    .guid = {0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
	     0xcd, 0xef},
};

/*
 * What efibootmgr -c -d /dev/vda -p 1 -L label -l '\EFI\ingot-test\bootx64.efi' writes when
 * /dev/vda1 starts at LBA 2048, has 204800 LBAs and the unique GUID
 * 01234567-89ab-cdef-0123-456789abcdef. Computed by hand from the UEFI spec and efivar's
 * efi_loadopt_create(), efidp_make_hd(), efidp_make_file().
 */
static const char expected_hex[] =
    "01000000" /* LOAD_OPTION_ACTIVE */
    "6a00"     /* FilePathListLength: 42 + 60 + 4 = 106 */
    "6c00610062006500"
    "6c000000"			       /* "label" NUL */
    "04012a00"			       /* HD, 42 bytes */
    "01000000"			       /* partition 1 */
    "0008000000000000"		       /* start 2048 */
    "0020030000000000"		       /* size 204800 = 0x32000 */
    "67452301ab89efcd0123456789abcdef" /* signature: the GUID, EFI byte order */
    "0202"			       /* GPT, GUID signature */
    "04043c00"			       /* File, 4 + 28 * 2 = 60 bytes */
    "5c00450046004900"
    "5c00"					   /* \EFI\ */
    "69006e0067006f0074002d0074006500730074005c00" /* ingot-test\ */
    "62006f006f0074007800360034002e00650066006900" /* bootx64.efi */
    "0000"					   /* NUL */
    "7fff0400";					   /* End Entire */

static void test_load_option(void)
{
	uint8_t *b = NULL, *b2 = NULL;
	size_t n = 0, n2 = 0;
	struct efi_load_option o;
	struct efi_partition part;
	char *file = NULL;
	int r;

	r = efi_load_option_build("label", &test_part, "\\EFI\\ingot-test\\bootx64.efi", &b, &n);
	CHECK(r == 0 && n == 124 && strcmp(hex(b, n), expected_hex) == 0,
	      "load option bytes are efibootmgr's (%s)", r == 0 ? hex(b, n) : "");
	r = efi_load_option_build("label", &test_part, "/EFI/ingot-test/bootx64.efi", &b2, &n2);
	CHECK(r == 0 && n2 == n && memcmp(b, b2, n) == 0, "'/' in the loader become '\\'");
	free(b2);

	r = efi_load_option_parse(b, n, &o);
	CHECK(r == 0 && o.attributes == 1 && strcmp(o.description, "label") == 0 &&
		  o.file_path_size == 106 && o.optional_data_size == 0,
	      "round trip: attributes, description, sizes");
	if (r == 0) {
		r = efi_device_path_file(o.file_path, o.file_path_size, &file, &part);
		CHECK(r == 0 && strcmp(file, "\\EFI\\ingot-test\\bootx64.efi") == 0 &&
			  memcmp(&part, &test_part, sizeof(part)) == 0,
		      "round trip: File() and HD() back (%s)", r == 0 ? file : "");
		CHECK(strcmp(efi_device_path_kind(o.file_path, o.file_path_size), "HD") == 0,
		      "kind of HD()/File() is HD");
		free(file);
		efi_load_option_done(&o);
	}

	/* Every truncation of the option is an error, never a crash. */
	bool all = true;
	for (size_t k = 0; k < n; k++) {
		if (efi_load_option_parse(b, k, &o) != -EBADMSG) {
			all = false;
			efi_load_option_done(&o);
		}
	}
	CHECK(all, "every truncated option: -EBADMSG");

	uint8_t m[256];
	memcpy(m, b, n);
	memcpy(m + n, "xyz", 3);
	r = efi_load_option_parse(m, n + 3, &o);
	CHECK(r == 0 && o.optional_data_size == 3 && memcmp(o.optional_data, "xyz", 3) == 0,
	      "optional data after the device path");
	if (r == 0)
		efi_load_option_done(&o);

	memcpy(m, b, n);
	m[18 + 2] = 0, m[18 + 3] = 0; /* HD node length 0 */
	CHECK(efi_load_option_parse(m, n, &o) == -EBADMSG, "node of length 0: -EBADMSG");
	memcpy(m, b, n);
	m[18 + 2] = 0xff; /* HD node longer than the list */
	CHECK(efi_load_option_parse(m, n, &o) == -EBADMSG, "node past the list: -EBADMSG");
	memcpy(m, b, n);
	m[n - 3] = 0x01; /* End Instance instead of End Entire, nothing after */
	CHECK(efi_load_option_parse(m, n, &o) == -EBADMSG, "no End Entire: -EBADMSG");
	memset(m, 'A', sizeof(m));
	CHECK(efi_load_option_parse(m, sizeof(m), &o) == -EBADMSG,
	      "unterminated description: -EBADMSG");

	CHECK(efi_load_option_build("label", &test_part, "", &b2, &n2) == -EINVAL &&
		  efi_load_option_build("\xff", &test_part, "\\a", &b2, &n2) == -EINVAL &&
		  efi_load_option_build("\xf0\x9f\x98\x80", &test_part, "\\a", &b2, &n2) == -EINVAL,
	      "empty loader, bad UTF-8, beyond the BMP: -EINVAL");
	free(b);
}

/* HD entries made with efi_load_option_build(), others by hand. */
static void put_entry(int dfd, const char *name, const char *label, const char *loader)
{
	uint8_t *b;
	size_t n;

	if (efi_load_option_build(label, &test_part, loader, &b, &n) == 0) {
		put_var(dfd, name, EFI_VARIABLE_DEFAULT, b, n);
		free(b);
	}
}

static void test_boot_entries(void)
{
	/* PciRoot(0x0)/End and a path starting with File(), which IPA's regex does not see. */
	static const uint8_t pciroot[] = {0x02, 0x01, 0x0c, 0x00, 0xd0, 0x41, 0x03, 0x0a,
					  0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0x04, 0x00};
	static const uint8_t fileonly[] = {0x04, 0x04, 0x08, 0x00, 'a',	 0,
					   0,	 0,    0x7f, 0xff, 0x04, 0x00};
	struct efi_loader l1 = {.path = "\\EFI\\BOOT\\BOOTX64.EFI", .label = "ironic1"};
	struct efi_loader two[] = {l1, {.path = "\\EFI\\BOOT\\grubaa64.efi", .label = "ironic2"}};
	uint8_t opt[256], *data = NULL, *want = NULL;
	size_t n, size = 0, want_size = 0;
	uint32_t attr = 0;
	char *err = NULL, *s;
	uint16_t *nums = NULL, num;
	int dfd, r;

	/* Empty: no BootOrder, no entries. */
	dfd = open_dir("vars-empty");
	CHECK(strcmp(order_str(dfd), "") == 0, "missing BootOrder reads as empty");
	r = efi_boot_install(dfd, &test_part, &l1, 1, &err);
	CHECK(r == 0 && strcmp(order_str(dfd), "0000") == 0,
	      "first entry is Boot0000, BootOrder=%s", order_str(dfd));
	r = efi_variable_read(dfd, "Boot0000", &attr, &data, &size);
	efi_load_option_build("ironic1", &test_part, "\\EFI\\BOOT\\BOOTX64.EFI", &want, &want_size);
	CHECK(r == 0 && attr == 7 && size == want_size && memcmp(data, want, size) == 0,
	      "Boot0000 holds NV|BS|RT and the load option");
	free(data);
	free(want);
	r = efi_variable_read(dfd, "BootOrder", &attr, &data, &size);
	CHECK(r == 0 && attr == 7 && size == 2, "BootOrder created with NV|BS|RT");
	free(data);
	close(dfd);

	/* Existing entries kept, the new one first. */
	dfd = open_dir("vars");
	put_entry(dfd, "Boot0000", "debian", "\\EFI\\debian\\shimx64.efi");
	put_var(dfd, "Boot0001", 7, opt, make_option(opt, "UEFI PXEv4", pciroot, sizeof(pciroot)));
	put_entry(dfd, "Boot0003", "other", "\\EFI\\other\\x.efi");
	put_var(dfd, "Boot0004", 7, "\x01\x00", 2); /* malformed */
	put_order(dfd, 0x80000007, (uint16_t[]){1, 0, 3, 4}, 4);
	CHECK(efi_boot_entry_get(dfd, 4, &(struct efi_load_option){0}) == -EBADMSG,
	      "malformed Boot0004: -EBADMSG");
	r = efi_boot_install(dfd, &test_part, &l1, 1, &err);
	CHECK(r == 0 && strcmp(order_str(dfd), "0002,0001,0000,0003,0004") == 0,
	      "new Boot0002 first, others kept in order (%s)", order_str(dfd));
	r = efi_variable_read(dfd, "BootOrder", &attr, &data, &size);
	CHECK(r == 0 && attr == 7, "BootOrder keeps its attributes less bit 31 (%#x)", attr);
	free(data);
	s = label_of(dfd, 2);
	CHECK(strcmp(s, "ironic1") == 0, "Boot0002 is ironic1");
	free(s);
	s = label_of(dfd, 1);
	CHECK(strcmp(s, "UEFI PXEv4") == 0 && var_exists(dfd, "Boot0004"),
	      "Boot0001 kept, malformed Boot0004 left alone");
	free(s);

	/* Again: the ironic1 entry is replaced, not duplicated. */
	r = efi_boot_install(dfd, &test_part, &l1, 1, &err);
	CHECK(r == 0 && strcmp(order_str(dfd), "0002,0001,0000,0003,0004") == 0,
	      "same label again: one entry, same place (%s)", order_str(dfd));
	r = efi_boot_entry_list(dfd, &nums, &n);
	CHECK(r == 0 && n == 5, "still 5 Boot#### variables");
	free(nums);

	/* A duplicate at a higher number goes; the new one takes the lowest free number. */
	efi_boot_entry_remove(dfd, 2);
	put_entry(dfd, "Boot0007", "ironic1", "\\EFI\\BOOT\\BOOTX64.EFI");
	put_entry(dfd, "Boot0008", "ironic1", "\\EFI\\BOOT\\BOOTX64.EFI");
	put_var(dfd, "Boot0009", 7, opt, make_option(opt, "ironic1", fileonly, sizeof(fileonly)));
	put_order(dfd, 7, (uint16_t[]){7, 1, 8, 0, 9}, 5);
	r = efi_boot_install(dfd, &test_part, &l1, 1, &err);
	CHECK(r == 0 && strcmp(order_str(dfd), "0002,0001,0000,0009") == 0 &&
		  !var_exists(dfd, "Boot0007") && !var_exists(dfd, "Boot0008"),
	      "both ironic1 duplicates removed, new Boot0002 (%s)", order_str(dfd));
	CHECK(var_exists(dfd, "Boot0009"),
	      "same label on a path IPA's regex does not match (File() first) is kept");

	/* Two loaders: the second ends up first, as two efibootmgr -c calls leave it. */
	r = efi_boot_install(dfd, &test_part, two, 2, &err);
	CHECK(r == 0 && strcmp(order_str(dfd), "0005,0002,0001,0000,0009") == 0,
	      "ironic1 then ironic2: ironic2 first (%s)", order_str(dfd));
	s = label_of(dfd, 5);
	CHECK(strcmp(s, "ironic2") == 0, "Boot0005 is ironic2");
	free(s);

	/* efibootmgr -B: the variable and its number in BootOrder. */
	put_order(dfd, 7, (uint16_t[]){5, 2, 5, 1, 0, 9}, 6);
	CHECK(efi_boot_entry_remove(dfd, 5) == 0 && !var_exists(dfd, "Boot0005") &&
		  strcmp(order_str(dfd), "0002,0001,0000,0009") == 0,
	      "remove takes every occurrence out of BootOrder");
	CHECK(efi_boot_entry_remove(dfd, 5) == -ENOENT, "removing a missing entry: -ENOENT");
	close(dfd);

	/* Lowercase names count, a stale BootOrder number is not duplicated, last removal. */
	dfd = open_dir("vars-odd");
	put_entry(dfd, "Boot000a", "lower", "\\a.efi");
	put_entry(dfd, "Boot0001", "one", "\\b.efi");
	put_order(dfd, 7, (uint16_t[]){0, 10}, 2); /* Boot0000 does not exist */
	r = efi_boot_entry_add(dfd, "new", &test_part, "\\c.efi", &num);
	CHECK(r == 0 && num == 0 && strcmp(order_str(dfd), "0000,000A") == 0,
	      "stale 0000 in BootOrder: new Boot0000 once (%s)", order_str(dfd));
	r = efi_boot_entry_list(dfd, &nums, &n);
	CHECK(r == 0 && n == 3 && nums[0] == 0 && nums[1] == 1 && nums[2] == 10,
	      "Boot000a listed as 10");
	free(nums);
	s = label_of(dfd, 10);
	CHECK(strcmp(s, "lower") == 0, "lowercase Boot000a readable");
	free(s);
	put_order(dfd, 7, (uint16_t[]){1}, 1);
	CHECK(efi_boot_entry_remove(dfd, 1) == 0 && !var_exists(dfd, "BootOrder"),
	      "BootOrder emptied: deleted");
	close(dfd);

	/* Immutable files, as efivarfs makes them (needs CAP_LINUX_IMMUTABLE and a file system
	 * with flags; otherwise only said). */
	dfd = open_dir("vars-immutable");
	put_order(dfd, 7, (uint16_t[]){1}, 1);
	{
		char path[128];
		int fd, flags = 0;

		snprintf(path, sizeof(path), "BootOrder-%s", EFI_GLOBAL_GUID_STR);
		fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
		    (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0)) {
			r = efi_boot_entry_add(dfd, "x", &test_part, "\\x.efi", &num);
			flags = 0;
			ioctl(fd, FS_IOC_GETFLAGS, &flags);
			CHECK(r == 0 && strcmp(order_str(dfd), "0000,0001") == 0 &&
				  (flags & FS_IMMUTABLE_FL),
			      "immutable BootOrder written, flag restored");
			flags &= ~FS_IMMUTABLE_FL;
			ioctl(fd, FS_IOC_SETFLAGS, &flags);
		} else {
			printf("# immutable flag not settable here, not tested\n");
		}
		if (fd >= 0)
			close(fd);
	}
	close(dfd);

	/* A failure comes back as text for the API. */
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkfile("notadir", 0644, "", 0);
	int fd = openat(dfd, "notadir", O_RDONLY | O_CLOEXEC);
	r = efi_boot_install(fd, &test_part, &l1, 1, &err);
	CHECK(r == -ENOTDIR && err &&
		  strcmp(err, "could not read the boot entries: Not a directory") == 0,
	      "error text: %s", err ? err : "(none)");
	free(err);
	close(fd);
	close(dfd);
}

static void find(const char *esp, struct efi_loader **l, size_t *n, int *r)
{
	int fd = open_dir(esp);

	*l = NULL;
	*n = 0;
	*r = efi_loader_find(fd, l, n);
	close(fd);
}

static void test_loaders(void)
{
	struct efi_loader *l;
	uint8_t csv[512];
	size_t n;
	int r, dfd;
	char *err = NULL;

	find("esp-empty", &l, &n, &r);
	CHECK(r == 0 && n == 0, "empty ESP: no loader");
	efi_loader_free_many(l, n);

	mkfile("esp-none/EFI/BOOT/BOOTX64.EFI", 0644, "MZ", 2);
	mkfile("esp-none/EFI/BOOT/readme.txt", 0755, "", 0);
	find("esp-none", &l, &n, &r);
	CHECK(r == 0 && n == 0, "non-executable BOOTX64.EFI and other files: no loader");
	efi_loader_free_many(l, n);

	mkfile("esp-plain/EFI/BOOT/BootX64.Efi", 0755, "MZ", 2);
	find("esp-plain", &l, &n, &r);
	CHECK(r == 0 && n == 1 && strcmp(l[0].path, "\\EFI\\BOOT\\BootX64.Efi") == 0 &&
		  strcmp(l[0].label, "ironic1") == 0,
	      "plain bootx64.efi, any case: %s %s", n ? l[0].path : "", n ? l[0].label : "");
	efi_loader_free_many(l, n);

	mkfile("esp-shim/EFI/debian/shimx64.efi", 0755, "MZ", 2);
	mkfile("esp-shim/EFI/debian/grubx64.efi", 0755, "MZ", 2);
	mkfile("esp-shim/EFI/BOOT/BOOTX64.EFI", 0755, "MZ", 2);
	find("esp-shim", &l, &n, &r);
	CHECK(r == 0 && n == 1 && strcmp(l[0].path, "\\EFI\\BOOT\\BOOTX64.EFI") == 0,
	      "shim+grub without a CSV: only the fallback BOOTX64.EFI is a loader (%s)",
	      n ? l[0].path : "");
	efi_loader_free_many(l, n);

	mkfile("esp-shimonly/EFI/debian/shimx64.efi", 0755, "MZ", 2);
	mkfile("esp-shimonly/EFI/debian/grubx64.efi", 0755, "MZ", 2);
	find("esp-shimonly", &l, &n, &r);
	CHECK(r == 0 && n == 0, "shim+grub alone: none (IPA does not know those names)");
	efi_loader_free_many(l, n);

	/* Files of a directory come before its subdirectories: ironic1 is the top-level one. */
	mkfile("esp-two/bootx64.efi", 0755, "MZ", 2);
	mkfile("esp-two/EFI/BOOT/BOOTAA64.EFI", 0755, "MZ", 2);
	find("esp-two", &l, &n, &r);
	CHECK(r == 0 && n == 2 && strcmp(l[0].path, "\\bootx64.efi") == 0 &&
		  strcmp(l[0].label, "ironic1") == 0 &&
		  strcmp(l[1].path, "\\EFI\\BOOT\\BOOTAA64.EFI") == 0 &&
		  strcmp(l[1].label, "ironic2") == 0,
	      "two loaders in walk order, ironic1 and ironic2");
	efi_loader_free_many(l, n);

	/* BOOTX64.CSV (UTF-16 with a BOM, CRLF), not executable, wins over everything. */
	n = utf16(csv, "shimx64.efi,ubuntu,,This is the boot entry for Ubuntu\r\n", true, false);
	mkfile("esp-csv/EFI/ubuntu/BOOTX64.CSV", 0644, csv, n);
	mkfile("esp-csv/EFI/ubuntu/shimx64.efi", 0755, "MZ", 2);
	mkfile("esp-csv/EFI/BOOT/BOOTX64.EFI", 0755, "MZ", 2);
	mkfile("esp-csv/bootx64.efi", 0755, "MZ", 2);
	find("esp-csv", &l, &n, &r);
	CHECK(r == 0 && n == 1 && strcmp(l[0].path, "\\EFI\\ubuntu\\shimx64.efi") == 0 &&
		  strcmp(l[0].label, "ubuntu") == 0,
	      "BOOTX64.CSV: %s '%s'", n ? l[0].path : "", n ? l[0].label : "");

	/* The whole path, ESP to NVRAM. */
	if (r == 0 && n == 1) {
		struct efi_load_option o;
		char *file = NULL;

		dfd = open_dir("vars-csv");
		r = efi_boot_install(dfd, &test_part, l, n, &err);
		CHECK(r == 0 && efi_boot_entry_get(dfd, 0, &o) == 0 &&
			  strcmp(o.description, "ubuntu") == 0 &&
			  efi_device_path_file(o.file_path, o.file_path_size, &file, NULL) == 0 &&
			  strcmp(file, "\\EFI\\ubuntu\\shimx64.efi") == 0,
		      "CSV loader registered as Boot0000 'ubuntu'");
		free(file);
		efi_load_option_done(&o);
		close(dfd);
	}
	efi_loader_free_many(l, n);

	n = utf16(csv, "grubx64.efi,Fedora\n", false, false);
	mkfile("esp-csv-le/EFI/fedora/boot.csv", 0755, csv, n);
	find("esp-csv-le", &l, &n, &r);
	CHECK(r == 0 && n == 1 && strcmp(l[0].path, "\\EFI\\fedora\\grubx64.efi") == 0 &&
		  strcmp(l[0].label, "Fedora\n") == 0,
	      "BOM-less boot.csv read little-endian; a two-field label keeps its newline");
	efi_loader_free_many(l, n);

	n = utf16(csv, "shimaa64.efi,centos,x", true, true);
	mkfile("esp-csv-be/EFI/centos/BOOTAA64.CSV", 0755, csv, n);
	find("esp-csv-be", &l, &n, &r);
	CHECK(r == 0 && n == 1 && strcmp(l[0].path, "\\EFI\\centos\\shimaa64.efi") == 0 &&
		  strcmp(l[0].label, "centos") == 0,
	      "big-endian CSV with its BOM");
	efi_loader_free_many(l, n);

	n = utf16(csv, "shimx64.efi", true, false);
	mkfile("esp-csv-bad/EFI/x/BOOTX64.CSV", 0755, csv, n);
	find("esp-csv-bad", &l, &n, &r);
	CHECK(r == -EBADMSG, "CSV with one field: -EBADMSG (IPA: IndexError)");
	mkfile("esp-csv-odd/EFI/x/BOOTX64.CSV", 0755, "abc", 3);
	find("esp-csv-odd", &l, &n, &r);
	CHECK(r == -EBADMSG, "CSV of odd length: -EBADMSG (IPA: UnicodeError)");
	mkfile("esp-csv-sur/EFI/x/BOOTX64.CSV", 0755, "\xff\xfe\x00\xd8,\x00", 6);
	find("esp-csv-sur", &l, &n, &r);
	CHECK(r == -EBADMSG, "CSV with an unpaired surrogate: -EBADMSG");

	/* 'csv' anywhere in the path makes IPA treat the file as a CSV. */
	n = utf16(csv, "real.efi,csvlabel", false, false);
	mkfile("esp-csvdir/EFI/csvboot/bootx64.efi", 0755, csv, n);
	find("esp-csvdir", &l, &n, &r);
	CHECK(r == 0 && n == 1 && strcmp(l[0].path, "\\EFI\\csvboot\\real.efi") == 0,
	      "a loader under a directory named *csv* is read as a CSV, as IPA does");
	efi_loader_free_many(l, n);
}

int main(void)
{
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 77;
	}
	test_guid();
	test_load_option();
	test_boot_entries();
	test_loaders();

	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return failures ? 1 : 0;
}
