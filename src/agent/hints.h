#pragma once

/*
 * Root device hints and root device selection, as IPA's
 * GenericHardwareManager.get_os_install_device() does them with ironic-lib's
 * parse_root_device_hints(), find_devices_by_hints() and match_root_device_hints()
 * (IPA >= 10: ironic_python_agent/device_hints.py) over oslo.utils' specs_matcher.
 *
 * Hints are a JSON object from the node's instance_info.root_device, else
 * properties.root_device. A value that Python finds false (null, {}, "", 0, false, []) means
 * "no hints": then the disk is utils.guess_root_disk()'s, the smallest of at least 4 GiB
 * (4294967296 bytes), ties broken by /dev/ path in byte order.
 *
 * Hints (the valid names, in the order IPA's messages list them): size (a positive integer,
 * GiB), model, wwn, serial, vendor, wwn_with_extension, wwn_vendor_extension, name (the /dev/
 * path: "/dev/sda", not "sda", exactly as IPA), rotational (boolean), hctl, by_path (the full
 * /dev/disk/by-path/... path), tran (IPA >= 11.2). A disk matches when it satisfies all of
 * them; the first matching disk in disk_list() order is picked.
 *
 * Values are reproduced step by step as IPA computes them, so that odd inputs give IPA's odd
 * results:
 *   - String hints must be JSON strings. The expression is stripped and lower-cased; an
 *     operator is recognised with specs_matcher's grammar; the values between operators are
 *     stripped and URL-quoted (Python urllib.parse.quote: letters, digits, "_.-~/" kept, all
 *     else %XX), e.g. "<or> Foo Bar <or> baz" -> "<or> foo%20bar <or> baz"; no operator
 *     means "s== ". The disk's value goes through the same normalisation (a missing value is
 *     Python's "None", so the hint "none" matches it; a blank value never matches).
 *   - size: a JSON integer or a string expression whose values are all Python integers > 0;
 *     no operator means "== ". It is compared with the disk's size / 2^30 as a float.
 *   - rotational: a JSON boolean, or anything whose text is 1/t/true/on/y/yes or
 *     0/f/false/off/n/no in any case (oslo bool_from_string strict).
 *   - Operators: numeric "=" (which means >=), "==", "!=", "<", "<=", ">", ">=" (Python
 *     float() of both sides: on a string hint the disk's value must be numeric); string
 *     "s==", "s!=", "s<", "s<=", "s>", "s>="; "<in>" (substring), "<or>" (any of). As in
 *     IPA, "<or>" and "s==" never match a size, "s!=" always does; "<all-in>" and
 *     "<range-in>" are parsed but can never match (IPA raises while comparing).
 *
 * Errors carry IPA's texts: ValueError messages from parsing ("The hints "x" are invalid.
 * Valid hints are: ...", "Root device hint "size" is not an integer value. Current value:
 * abc", ...), and for selection the details of IPA's DeviceNotFound. Where IPA raises a
 * TypeError or pyparsing's ParseException (a comparison Python refuses, an expression made of
 * an operator alone), the call fails too, with a text of ours. Python values are rendered as
 * Python prints them ({'size': '>= 10'}, True, None). Non-ASCII letters are not lower-cased.
 *
 * Limits: an expression of at most ROOT_HINT_EXPR_MAX bytes (longer: -EINVAL), at most
 * ROOT_HINT_VALUES_MAX values in it.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/disk.h"

#define ROOT_HINT_EXPR_MAX   1024
#define ROOT_HINT_VALUES_MAX 64
#define ROOT_HINT_MIN_SIZE   (4ULL << 30) /* guess_root_disk's min_size_required */

struct root_hints;

/*
 * Parses and validates root_device (borrowed). *ret is NULL when there are no hints. Returns
 * 0, -EINVAL with *ret_error (heap, optional) IPA's ValueError text, or -ENOMEM.
 */
int root_hints_parse(json_object *root_device, struct root_hints **ret, char **ret_error);

struct root_hints *root_hints_free(struct root_hints *h);
void root_hints_freep(struct root_hints **h);
#define _cleanup_root_hints_ __attribute__((cleanup(root_hints_freep)))

/*
 * Whether d satisfies all hints of h (NULL: no hints, a match). Returns 1, 0, or -EINVAL
 * with *ret_error when a comparison fails in IPA (a numeric operator on a non-numeric value,
 * "<all-in>", "<range-in>", a string operator on size).
 */
int root_hints_match(const struct root_hints *h, const struct disk *d, char **ret_error);

/*
 * get_os_install_device(): the disk for root_device (borrowed; may be NULL) among the disks
 * whose skip[] entry is false (skip may be NULL). Returns 0 with *ret pointing into disks,
 * -ENODEV with *ret_error the details of IPA's DeviceNotFound ("No suitable device was found
 * for deployment using these hints {...}", "... root device hints were not provided and all
 * found block devices are smaller than 4294967296B.", "No devices could be found using the
 * root device hints {...} because they failed to validate. Error: ..."), or -ENOMEM.
 */
int root_hints_select(json_object *root_device, const struct disk *disks, size_t n,
		      const bool *skip, const struct disk **ret, char **ret_error);

/* The hints of a node (borrowed): instance_info.root_device if true, else properties'. */
json_object *root_hints_from_node(json_object *node);

/*
 * get_skip_list_from_node(): sets skip[i] for each disk matched by any hint object of
 * properties.skip_block_devices (objects with "volume_name" are RAID volumes: ignored here).
 * Returns 0, -EINVAL with *ret_error for an invalid list or hint (IPA raises), or -ENOMEM.
 */
int root_hints_skip_list(json_object *node, const struct disk *disks, size_t n, bool *skip,
			 char **ret_error);

/* Skip list, hints of the node, selection: the whole of get_os_install_device(). */
int root_hints_select_for_node(json_object *node, const struct disk *disks, size_t n,
			       const struct disk **ret, char **ret_error);
