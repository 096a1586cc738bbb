/*
 * UEFI boot data: load options (EFI_LOAD_OPTION, UEFI 2.x §3.1.3), device paths (§10.3), GUIDs
 * and the UCS-2/UTF-16 text in them. The bytes efibootmgr writes are described in efi.h; the
 * variables themselves are efi-boot.c's.
 *
 * Untrusted bytes (variables) are only read through struct cursor: cursor_take() is the one
 * place that checks a length against what is left.
 */

#include "agent/efi.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"

/* Limits on what is built or walked: efivar takes 1024 characters of a description. */
#define DESCRIPTION_MAX 1024
#define DP_NODES_MAX	256

/* Device path node types and subtypes (UEFI 2.x §10.3). */
enum {
	DP_HW = 0x01,
	DP_HW_VENDOR = 0x04,
	DP_ACPI = 0x02,
	DP_ACPI_HID = 0x01,
	DP_ACPI_HID_EX = 0x02,
	DP_MSG = 0x03,
	DP_MSG_VENDOR = 0x0a,
	DP_MSG_USB_CLASS = 0x0f,
	DP_MEDIA = 0x04,
	DP_MEDIA_HD = 0x01,
	DP_MEDIA_FILE = 0x04,
	DP_MEDIA_FV_FILE = 0x06,
	DP_MEDIA_FV = 0x07,
	DP_BIOS = 0x05,
	DP_BIOS_BBS = 0x01,
	DP_END = 0x7f,
	DP_END_ENTIRE = 0xff,
};

#define ACPI_PCI_ROOT_HID 0x0a0341d0u /* EISA "PNP0A03" */
#define HD_FORMAT_GPT	  0x02
#define HD_SIGNATURE_GUID 0x02
#define HD_NODE_SIZE	  42

struct cursor {
	const uint8_t *data;
	size_t size;
	size_t off;
};

/* The n bytes at the cursor, or NULL (cursor unchanged) when fewer are left. */
static const uint8_t *cursor_take(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (n > c->size - c->off)
		return NULL;
	p = c->data + c->off;
	c->off += n;
	return p;
}

/* --- text ------------------------------------------------------------------------------------ */

int efi_utf8_to_ucs2(const char *s, size_t max, uint16_t **ret, size_t *ret_n)
{
	size_t len = strlen(s), n = 0;
	const uint8_t *p = (const uint8_t *)s;
	uint16_t *out;

	out = malloc((len + 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; n++) {
		uint32_t cp;
		size_t k;

		if (p[i] < 0x80)
			cp = p[i], k = 1;
		else if ((p[i] & 0xe0) == 0xc0)
			cp = p[i] & 0x1f, k = 2;
		else if ((p[i] & 0xf0) == 0xe0)
			cp = p[i] & 0x0f, k = 3;
		else
			goto bad; /* beyond the BMP, or not UTF-8 */
		if (k > len - i)
			goto bad;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
		    (cp >= 0xd800 && cp < 0xe000))
			goto bad;
		if (n >= max)
			goto bad;
		out[n] = (uint16_t)cp;
		i += k;
	}
	out[n++] = 0;
	*ret = out;
	*ret_n = n;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int efi_utf16_to_utf8(const void *buf, size_t size, bool big_endian, bool strict, char **ret)
{
	struct cursor c = {buf, size, 0};
	const uint8_t *u;
	char *out;
	size_t n = 0;

	if (strict && size % 2)
		return -EBADMSG;
	/* A unit gives at most 3 bytes; a pair (2 units) 4. */
	out = malloc(size / 2 * 3 + 1);
	if (!out)
		return -ENOMEM;
	while ((u = cursor_take(&c, 2))) {
		uint32_t cp = big_endian ? unaligned_read_be16(u) : unaligned_read_le16(u);
		bool bad = false;

		if (cp == 0)
			break;
		if (cp >= 0xd800 && cp < 0xdc00) {
			const uint8_t *l = cursor_take(&c, 2);
			uint32_t lo = !l	   ? 0
				      : big_endian ? unaligned_read_be16(l)
						   : unaligned_read_le16(l);

			if (lo >= 0xdc00 && lo < 0xe000)
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			else {
				if (l)
					c.off -= 2; /* not a low half: read it again on its own */
				cp = 0xfffd, bad = true;
			}
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			cp = 0xfffd, bad = true;
		}
		if (bad && strict) {
			free(out);
			return -EBADMSG;
		}
		n += put_utf8(out + n, cp);
	}
	out[n] = 0;
	*ret = out;
	return 0;
}

struct dp_node {
	uint8_t type, subtype;
	const uint8_t *data; /* payload after the 4-byte header */
	size_t len;
};

static int dp_next(struct cursor *c, struct dp_node *ret)
{
	const uint8_t *h = cursor_take(c, 4), *data;
	uint16_t len;

	if (!h)
		return -EBADMSG;
	len = unaligned_read_le16(h + 2);
	if (len < 4)
		return -EBADMSG;
	data = cursor_take(c, len - 4u);
	if (!data)
		return -EBADMSG;
	*ret = (struct dp_node){.type = h[0], .subtype = h[1], .data = data, .len = len - 4u};
	return 0;
}

/* Walks to End Entire; 0 when it is there, -EBADMSG otherwise. */
static int dp_check(const uint8_t *dp, size_t size)
{
	struct cursor c = {dp, size, 0};
	struct dp_node n;

	for (unsigned i = 0; i < DP_NODES_MAX; i++) {
		if (dp_next(&c, &n) < 0)
			return -EBADMSG;
		if (n.type == DP_END && n.subtype == DP_END_ENTIRE)
			return 0;
	}
	return -EBADMSG;
}

int efi_load_option_build(const char *description, const struct efi_partition *part,
			  const char *loader, uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ uint16_t *desc = NULL, *file = NULL;
	_cleanup_free_ char *path = NULL;
	size_t n_desc, n_file, file_node, dp_size, total;
	uint8_t *buf, *p;
	int r;

	if (!description || !part || !loader || !*loader)
		return -EINVAL;
	path = strdup(loader);
	if (!path)
		return -ENOMEM;
	for (char *s = path; *s; s++)
		if (*s == '/')
			*s = '\\'; /* efivar's tilt_slashes() */

	r = efi_utf8_to_ucs2(description, DESCRIPTION_MAX, &desc, &n_desc);
	if (r < 0)
		return r;
	r = efi_utf8_to_ucs2(path, (UINT16_MAX - 4) / 2 - 1, &file, &n_file);
	if (r < 0)
		return r;

	/* Both counts include the terminating NUL. */
	file_node = 4 + 2 * n_file;
	dp_size = HD_NODE_SIZE + file_node + 4;
	if (dp_size > UINT16_MAX)
		return -EINVAL;
	total = 4 + 2 + 2 * n_desc + dp_size;
	buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;

	p = buf;
	efi_put_le(p, EFI_LOAD_OPTION_ACTIVE, 4);
	efi_put_le(p + 4, dp_size, 2);
	p += 6;
	for (size_t i = 0; i < n_desc; i++, p += 2)
		efi_put_le(p, desc[i], 2);

	p[0] = DP_MEDIA;
	p[1] = DP_MEDIA_HD;
	efi_put_le(p + 2, HD_NODE_SIZE, 2);
	efi_put_le(p + 4, part->number, 4);
	efi_put_le(p + 8, part->start, 8);
	efi_put_le(p + 16, part->size, 8);
	memcpy(p + 24, part->guid, 16);
	p[40] = HD_FORMAT_GPT;
	p[41] = HD_SIGNATURE_GUID;
	p += HD_NODE_SIZE;

	p[0] = DP_MEDIA;
	p[1] = DP_MEDIA_FILE;
	efi_put_le(p + 2, file_node, 2);
	p += 4;
	for (size_t i = 0; i < n_file; i++, p += 2)
		efi_put_le(p, file[i], 2);

	p[0] = DP_END;
	p[1] = DP_END_ENTIRE;
	efi_put_le(p + 2, 4, 2);

	*ret = buf;
	*ret_size = total;
	return 0;
}

void efi_load_option_done(struct efi_load_option *o)
{
	if (!o)
		return;
	free(o->description);
	free(o->file_path);
	free(o->optional_data);
	*o = (struct efi_load_option){0};
}

static void *memdup_or_empty(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

int efi_load_option_parse(const void *buf, size_t size, struct efi_load_option *ret)
{
	struct cursor c = {buf, size, 0};
	struct efi_load_option o = {0};
	const uint8_t *h, *desc, *dp, *opt;
	size_t n_desc = 0, dp_size, desc_start, opt_size;
	int r;

	h = cursor_take(&c, 6);
	if (!h)
		return -EBADMSG;
	o.attributes = unaligned_read_le32(h);
	dp_size = unaligned_read_le16(h + 4);

	/* The description runs to the first NUL character. */
	desc_start = c.off;
	for (;;) {
		const uint8_t *ch = cursor_take(&c, 2);

		if (!ch)
			return -EBADMSG;
		if (unaligned_read_le16(ch) == 0)
			break;
		n_desc++;
	}
	c.off = desc_start;
	desc = cursor_take(&c, 2 * n_desc + 2);

	dp = cursor_take(&c, dp_size);
	if (!desc || !dp || dp_check(dp, dp_size) < 0)
		return -EBADMSG;
	opt_size = size - c.off;
	opt = cursor_take(&c, opt_size);

	r = efi_utf16_to_utf8(desc, 2 * n_desc, false, false, &o.description);
	if (r < 0)
		return r;
	o.file_path = memdup_or_empty(dp, dp_size);
	o.file_path_size = dp_size;
	o.optional_data = memdup_or_empty(opt, opt_size);
	o.optional_data_size = opt_size;
	if (!o.file_path || !o.optional_data) {
		efi_load_option_done(&o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

const char *efi_device_path_kind(const uint8_t *dp, size_t size)
{
	struct cursor c = {dp, size, 0};
	struct dp_node n;

	if (dp_check(dp, size) < 0 || dp_next(&c, &n) < 0)
		return NULL;
	switch (n.type << 8 | n.subtype) {
	case DP_HW << 8 | DP_HW_VENDOR:
		return "VenHw";
	case DP_ACPI << 8 | DP_ACPI_HID:
	case DP_ACPI << 8 | DP_ACPI_HID_EX:
		return n.len >= 4 && unaligned_read_le32(n.data) == ACPI_PCI_ROOT_HID ? "PciRoot"
										      : NULL;
	case DP_MSG << 8 | DP_MSG_VENDOR:
		return "VenMsg";
	case DP_MSG << 8 | DP_MSG_USB_CLASS:
		return "UsbClass";
	case DP_MEDIA << 8 | DP_MEDIA_HD:
		return "HD";
	case DP_MEDIA << 8 | DP_MEDIA_FV_FILE:
		return "FvFile";
	case DP_MEDIA << 8 | DP_MEDIA_FV:
		return "FvVol";
	case DP_BIOS << 8 | DP_BIOS_BBS:
		return "BBS";
	}
	return NULL;
}

int efi_device_path_file(const uint8_t *dp, size_t size, char **ret, struct efi_partition *ret_part)
{
	struct cursor c = {dp, size, 0};
	_cleanup_free_ char *text = NULL;
	struct efi_partition part = {0};
	bool have_part = false;
	size_t len = 0;
	struct dp_node n;

	if (dp_check(dp, size) < 0)
		return -EBADMSG;
	while (dp_next(&c, &n) == 0 && !(n.type == DP_END && n.subtype == DP_END_ENTIRE)) {
		if (n.type == DP_MEDIA && n.subtype == DP_MEDIA_HD && n.len == HD_NODE_SIZE - 4 &&
		    !have_part && n.data[36] == HD_FORMAT_GPT && n.data[37] == HD_SIGNATURE_GUID) {
			part.number = unaligned_read_le32(n.data);
			part.start = unaligned_read_le64(n.data + 4);
			part.size = unaligned_read_le64(n.data + 12);
			memcpy(part.guid, n.data + 20, 16);
			have_part = true;
		} else if (n.type == DP_MEDIA && n.subtype == DP_MEDIA_FILE) {
			_cleanup_free_ char *s = NULL;
			char *t;
			int r = efi_utf16_to_utf8(n.data, n.len & ~(size_t)1, false, false, &s);

			if (r < 0)
				return r;
			t = realloc(text, len + strlen(s) + 1);
			if (!t)
				return -ENOMEM;
			text = t;
			memcpy(text + len, s, strlen(s) + 1);
			len += strlen(s);
		}
	}
	if (!text || (ret_part && !have_part))
		return -ENOENT;
	if (ret_part)
		*ret_part = part;
	*ret = TAKE_PTR(text);
	return 0;
}
