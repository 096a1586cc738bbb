/* sources: src/agent/checksum.c src/basic/hexdecoct.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/checksum.h"

#include "test.h"

static const char ABC_MD5[] = "900150983cd24fb0d6963f7d28e17f72";
static const char ABC_SHA1[] = "a9993e364706816aba3e25717850c26c9cd0d89d";
static const char ABC_SHA256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char ABC_SHA384[] = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
				 "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";
static const char ABC_SHA512[] = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
				 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

static bool hex_is(enum checksum_algo a, const void *buf, size_t len, const char *want)
{
	char hex[CHECKSUM_HEX_MAX];

	return checksum_buffer_hex(a, buf, len, hex) == 0 && strcmp(hex, want) == 0;
}

static void test_vectors(void)
{
	struct digest *d = NULL;
	char hex[CHECKSUM_HEX_MAX], *big;

	CHECK(hex_is(CHECKSUM_MD5, "", 0, "d41d8cd98f00b204e9800998ecf8427e"), "md5 of nothing");
	CHECK(hex_is(CHECKSUM_MD5, "abc", 3, ABC_MD5), "md5 of abc");
	CHECK(hex_is(CHECKSUM_SHA1, "abc", 3, ABC_SHA1), "sha1 of abc");
	CHECK(hex_is(CHECKSUM_SHA224, "abc", 3,
		     "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
	      "sha224 of abc");
	CHECK(hex_is(CHECKSUM_SHA256, "", 0,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	      "sha256 of nothing");
	CHECK(hex_is(CHECKSUM_SHA256, "abc", 3, ABC_SHA256), "sha256 of abc");
	CHECK(hex_is(CHECKSUM_SHA384, "abc", 3, ABC_SHA384), "sha384 of abc");
	CHECK(hex_is(CHECKSUM_SHA512, "abc", 3, ABC_SHA512), "sha512 of abc");

	/* a million 'a', fed in uneven pieces */
	big = malloc(1000000);
	memset(big, 'a', 1000000);
	CHECK(digest_new(CHECKSUM_SHA256, &d) == 0, "digest_new sha256");
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 65521 + 1)
		digest_update(d, big + off, off + step > 1000000 ? 1000000 - off : step);
	CHECK(digest_finish_hex(d, hex) == 0 &&
		  strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") ==
		      0,
	      "sha256 of a million 'a' in pieces");
	CHECK(digest_update(d, "x", 1) == -ESTALE && digest_finish_hex(d, hex) == -ESTALE,
	      "a finished digest refuses more");
	d = digest_free(d);
	CHECK(hex_is(CHECKSUM_SHA512, big, 1000000,
		     "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
		     "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
	      "sha512 of a million 'a'");
	free(big);
	CHECK(digest_free(NULL) == NULL, "digest_free(NULL)");
	CHECK(digest_new((enum checksum_algo)42, &d) == -EINVAL, "digest_new: bad algorithm");
}

static void test_algos(void)
{
	enum checksum_algo a = CHECKSUM_ALGO_BY_LENGTH;
	const char *why = NULL;

	CHECK(checksum_algo_from_string("sha512", &a) == 0 && a == CHECKSUM_SHA512, "sha512 name");
	CHECK(checksum_algo_from_string("md5", &a) == 0 && a == CHECKSUM_MD5, "md5 name");
	CHECK(checksum_algo_from_string("SHA256", &a) == -EOPNOTSUPP, "names are case-sensitive");
	CHECK(checksum_algo_from_string("sha3_256", &a) == -EOPNOTSUPP, "sha3_256 not available");
	CHECK(strcmp(checksum_algo_to_string(CHECKSUM_SHA384), "sha384") == 0, "sha384 string");
	CHECK(checksum_algo_to_string(CHECKSUM_ALGO_BY_LENGTH) == NULL, "no name for by-length");
	CHECK(checksum_algo_from_length(128, false, &a, &why) == 0 && a == CHECKSUM_SHA512,
	      "128 hex: sha512");
	CHECK(checksum_algo_from_length(64, false, &a, &why) == 0 && a == CHECKSUM_SHA256,
	      "64 hex: sha256");
	CHECK(checksum_algo_from_length(32, true, &a, &why) == 0 && a == CHECKSUM_MD5,
	      "32 hex: md5 when enabled");
	CHECK(checksum_algo_from_length(32, false, &a, &why) == -EINVAL &&
		  strcmp(why, "MD5 support is disabled, and support will be removed in a 2024 "
			      "version of Ironic.") == 0,
	      "32 hex with md5 disabled: IPA's text");
	CHECK(checksum_algo_from_length(40, true, &a, &why) == -EINVAL &&
		  strstr(why, "Unable to identify checksum algorithm used") == why,
	      "40 hex (sha1) is not detected by length");
	CHECK(checksum_is_url("http://x/y") && checksum_is_url("https://x") &&
		  !checksum_is_url("HTTP://x") && !checksum_is_url("ftp://x") &&
		  !checksum_is_url(ABC_MD5),
	      "checksum_is_url");
}

static int select_from(const char *json, bool md5, struct checksum_spec *s, struct image_error *e)
{
	json_object *o = json_tokener_parse(json);
	int r;

	*s = (struct checksum_spec){0};
	image_error_done(e);
	r = checksum_spec_from_image_info(o, md5, s, e);
	json_object_put(o);
	return r;
}

static int validate(const char *json, bool md5, struct image_error *e)
{
	json_object *o = json_tokener_parse(json);
	int r;

	image_error_done(e);
	r = checksum_validate_image_info(o, md5, e);
	json_object_put(o);
	return r;
}

static void test_selection(void)
{
	struct checksum_spec s = {0};
	struct image_error e = {0};
	char buf[512];
	int r;

	snprintf(buf, sizeof(buf),
		 "{\"id\": \"img\", \"os_hash_algo\": \"sha512\", \"os_hash_value\": \"%s\", "
		 "\"checksum\": \"%s\"}",
		 ABC_SHA512, ABC_MD5);
	r = select_from(buf, false, &s, &e);
	CHECK(r == 0 && s.algo == CHECKSUM_SHA512 && strcmp(s.value, ABC_SHA512) == 0 &&
		  !s.value_is_url && strcmp(s.algo_given, "sha512") == 0,
	      "os_hash_algo wins over checksum");
	checksum_spec_done(&s);

	snprintf(buf, sizeof(buf),
		 "{\"id\": \"img\", \"os_hash_algo\": \"md5\", \"os_hash_value\": \"%s\"}",
		 ABC_MD5);
	r = select_from(buf, false, &s, &e);
	CHECK(r == 0 && s.algo == CHECKSUM_MD5,
	      "os_hash_algo md5 works with md5 disabled (as IPA)");
	checksum_spec_done(&s);

	snprintf(buf, sizeof(buf),
		 "{\"id\": \"img\", \"os_hash_algo\": \"sha3_256\", \"os_hash_value\": \"x\", "
		 "\"checksum\": \"%s\"}",
		 ABC_SHA256);
	r = select_from(buf, true, &s, &e);
	CHECK(r == 0 && s.algo == CHECKSUM_SHA256 && strcmp(s.value, ABC_SHA256) == 0,
	      "unavailable os_hash_algo falls back to checksum, by length");
	checksum_spec_done(&s);

	snprintf(buf, sizeof(buf), "{\"id\": \"img\", \"checksum\": \"%s\"}", ABC_MD5);
	r = select_from(buf, true, &s, &e);
	CHECK(r == 0 && s.algo == CHECKSUM_MD5 && !s.algo_given, "legacy 32-hex checksum: md5");
	checksum_spec_done(&s);
	r = select_from(buf, false, &s, &e);
	CHECK(r == -EINVAL && strcmp(e.type, "RESTError") == 0 && e.code == 500 &&
		  strcmp(e.details,
			 "Unable to proceed with image img as the checksum indicator has been "
			 "used but the algorithm could not be identified. Error: MD5 support is "
			 "disabled, and support will be removed in a 2024 version of Ironic.") == 0,
	      "md5 checksum with md5 disabled: IPA's error");

	r = select_from("{\"id\": \"img\", \"checksum\": \"abcdef\"}", true, &s, &e);
	CHECK(r == -EINVAL && strstr(e.details, "Error: Unable to identify checksum algorithm "
						"used, and a value is not specified in the "
						"os_hash_algo setting."),
	      "checksum of unknown length: IPA's error");

	r = select_from("{\"id\": \"img\", \"checksum\": \"https://h/SHA256SUMS\"}", false, &s, &e);
	CHECK(r == 0 && s.value_is_url && s.algo == CHECKSUM_ALGO_BY_LENGTH &&
		  strcmp(s.value, "https://h/SHA256SUMS") == 0,
	      "checksum URL: algorithm by length later");
	CHECK(checksum_spec_resolve(&s, ABC_SHA256, false, &e) == 0 && s.algo == CHECKSUM_SHA256 &&
		  strcmp(s.value, ABC_SHA256) == 0 && !s.value_is_url,
	      "resolved to sha256");
	checksum_spec_done(&s);
	select_from("{\"id\": \"img\", \"checksum\": \"http://h/MD5SUMS\"}", false, &s, &e);
	r = checksum_spec_resolve(&s, ABC_MD5, false, &e);
	CHECK(r == -EINVAL && strcmp(e.type, "CommandExecutionError") == 0 &&
		  strstr(e.details, "MD5 support is disabled") == e.details,
	      "checksum URL giving md5 with md5 disabled: IPA's ValueError");
	checksum_spec_done(&s);

	r = select_from("{\"id\": \"img\", \"os_hash_algo\": \"sha512\", \"os_hash_value\": "
			"\"http://h/sums\"}",
			false, &s, &e);
	CHECK(r == 0 && s.value_is_url && s.algo == CHECKSUM_SHA512,
	      "os_hash_value URL: fetched, algorithm given");
	CHECK(checksum_spec_resolve(&s, ABC_SHA256, false, &e) == 0 && s.algo == CHECKSUM_SHA512,
	      "a given algorithm is kept whatever the length");
	checksum_spec_done(&s);

	r = select_from("{\"id\": \"img\"}", true, &s, &e);
	CHECK(r == -EINVAL && strcmp(e.type, "RESTError") == 0 &&
		  strcmp(e.details,
			 "Unable to verify image img with available checksums. Please make sure "
			 "the specified 'os_hash_algo' (currently None) is supported by this "
			 "ramdisk, or provide a md5 checksum via the 'checksum' field") == 0,
	      "no checksum: IPA's error");
	r = select_from(
	    "{\"id\": \"img\", \"os_hash_algo\": \"blake2b\", \"os_hash_value\": \"x\"}", true, &s,
	    &e);
	CHECK(r == -EINVAL && strstr(e.details, "(currently blake2b)"),
	      "unsupported algorithm, no checksum: names it");

	/* _validate_image_info's checksum rules */
	CHECK(validate("{\"checksum\": \"\"}", true, &e) == -EINVAL &&
		  strcmp(e.type, "InvalidCommandParamsError") == 0 && e.code == 400 &&
		  strcmp(e.details, "Image 'checksum' must be a non-empty string.") == 0,
	      "validate: empty checksum");
	CHECK(validate("{\"checksum\": 5}", true, &e) == -EINVAL,
	      "validate: checksum not a string");
	CHECK(validate("{\"checksum\": null, \"os_hash_algo\": \"sha256\"}", true, &e) == -EINVAL &&
		  strcmp(e.details, "Image 'os_hash_value' must be a non-empty string.") == 0,
	      "validate: algo without value");
	CHECK(validate("{\"os_hash_value\": \"ab\"}", true, &e) == -EINVAL &&
		  strcmp(e.details, "Image 'os_hash_algo' must be a non-empty string.") == 0,
	      "validate: value without algo");
	CHECK(validate("{}", true, &e) == -EINVAL &&
		  strstr(e.details, "Image checksum is not available, either the 'checksum' "
				    "field or the 'os_hash_algo' and 'os_hash_value' fields "
				    "pair must be set for image verification.") == e.details,
	      "validate: nothing");
	snprintf(buf, sizeof(buf), "{\"checksum\": \"%s\"}", ABC_MD5);
	CHECK(validate(buf, true, &e) == 0, "validate: md5 checksum, md5 enabled");
	CHECK(validate(buf, false, &e) == -EINVAL, "validate: md5 checksum, md5 disabled");
	CHECK(validate("{\"checksum\": \"http://h/x\"}", false, &e) == 0,
	      "validate: checksum URL, md5 disabled");
	image_error_done(&e);
}

static int find(const char *text, const char *image_url, char **ret, struct image_error *e)
{
	*ret = NULL;
	image_error_done(e);
	return checksum_file_find(text, strlen(text), image_url, "http://h/SUMS", ret, e);
}

static void test_checksum_file(void)
{
	struct image_error e = {0};
	char buf[1024], *v;
	int r;

	snprintf(buf, sizeof(buf), "\n  %s  \n\n", ABC_SHA256);
	r = find(buf, "http://h/x/image.img", &v, &e);
	CHECK(r == 0 && strcmp(v, ABC_SHA256) == 0, "bare hash alone");
	free(v);

	snprintf(buf, sizeof(buf),
		 "# comment image.img\n%s  other.img\n%s *image.img\n%s  image.img.bak\n", ABC_MD5,
		 ABC_SHA512, ABC_SHA256);
	r = find(buf, "http://h/x/image.img?temp_url_sig=1#frag", &v, &e);
	CHECK(r == 0 && strcmp(v, ABC_SHA512) == 0, "'<hash> *<file>' among others");
	free(v);

	snprintf(buf, sizeof(buf), "image.img %s\n%s other.img\n", ABC_MD5, ABC_SHA256);
	r = find(buf, "https://h/image.img", &v, &e);
	CHECK(r == -ENOENT, "'<file> <hash>' is not matched (IPA wants the name last or in ())");

	snprintf(buf, sizeof(buf), "SHA256 (other.img) = %s\nSHA256 (image.img) = %s\n", ABC_MD5,
		 ABC_SHA256);
	r = find(buf, "https://h/d/image.img", &v, &e);
	CHECK(r == 0 && strcmp(v, ABC_SHA256) == 0, "'ALGO (<file>) = <hash>' (CentOS)");
	free(v);

	snprintf(buf, sizeof(buf), "%s\timage.img\r\n%s  other\n", ABC_SHA256, ABC_MD5);
	r = find(buf, "https://h/image.img;params", &v, &e);
	CHECK(r == 0 && strcmp(v, ABC_SHA256) == 0, "tab separator, CRLF, ;params in the URL");
	free(v);

	snprintf(buf, sizeof(buf), "%s\timage.img\n", ABC_SHA256);
	r = find(buf, "https://h/image.img", &v, &e);
	CHECK(r == -EINVAL && strstr(e.details, "Invalid checksum file"),
	      "one line without a space is taken as a bare hash (as IPA)");

	r = find(" \n\t\n", "http://h/image.img", &v, &e);
	CHECK(r == -EINVAL && strcmp(e.type, "ImageDownloadError") == 0 &&
		  strcmp(e.details,
			 "Download of image http://h/SUMS failed: Empty checksum file") == 0,
	      "empty file: IPA's error");

	r = find("notahash\n", "http://h/image.img", &v, &e);
	CHECK(r == -EINVAL &&
		  strcmp(e.details, "Download of image [] failed: Invalid checksum file "
				    "(No valid checksum found) ['notahash']") == 0,
	      "single invalid line: IPA's error, subject [] and all");

	snprintf(buf, sizeof(buf), "%s  other.img\n", ABC_SHA256);
	r = find(buf, "http://h/image.img", &v, &e);
	CHECK(r == -ENOENT && strcmp(e.details, "Download of image http://h/SUMS failed: Checksum "
						"file does not contain name image.img") == 0,
	      "name missing: IPA's error");

	r = find("abc image.img\nxyz other\n", "http://h/image.img", &v, &e);
	CHECK(r == -ENOENT &&
		  strcmp(e.details, "Download of image [] failed: Checksum file does not "
				    "contain name image.img") == 0,
	      "name found without a hash: IPA names the image []");

	snprintf(buf, sizeof(buf), "%sff  image.img\n", ABC_SHA256);
	r = find(buf, "http://h/image.img", &v, &e);
	CHECK(r == -ENOENT, "66 hex digits are no hash");

	CHECK(checksum_file_find("x", CHECKSUM_FILE_MAX + 1, "http://h/i", "http://h/S", &v, &e) ==
		  -EFBIG,
	      "oversized checksum file refused");
	image_error_done(&e);
}

static void test_verify(void)
{
	struct image_error e = {0};

	CHECK(checksum_verify(ABC_SHA256, ABC_SHA256, "img", "/dev/sda", &e) == 0 && !e.details,
	      "verify: equal");
	CHECK(checksum_verify(ABC_MD5, "900150983CD24FB0D6963F7D28E17F72", "img", "/dev/sda", &e) ==
		  -EBADMSG,
	      "verify: upper-case expected never matches (as IPA)");
	CHECK(strcmp(e.type, "ImageChecksumError") == 0 &&
		  strcmp(e.message, "Error verifying image checksum") == 0 &&
		  strcmp(e.details, "Image failed to verify against checksum. location: img; "
				    "image ID: /dev/sda; image checksum: "
				    "900150983CD24FB0D6963F7D28E17F72; verification checksum: "
				    "900150983cd24fb0d6963f7d28e17f72") == 0,
	      "verify: IPA's details, location and ID swapped as IPA does");
	image_error_done(&e);
	image_error_done(NULL);
}

int main(void)
{
	test_vectors();
	test_algos();
	test_selection();
	test_checksum_file();
	test_verify();
	return failures ? 1 : 0;
}
