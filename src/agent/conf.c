#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/conf.h"
#include "basic/cmdline.h"
#include "basic/conf.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"

/* Python's str.strip() set, ASCII part. */
#define BLANKS " \t\n\r\v\f"

enum conf_type {
	CONF_STRING,	  /* char *; max: bytes */
	CONF_LIST,	  /* char **; max: bytes per item */
	CONF_URL_LIST,	  /* char **; items http(s)://..., or "mdns" alone */
	CONF_UINT,	  /* unsigned; min..max */
	CONF_SECONDS_MS,  /* unsigned milliseconds of a Python float() of seconds; max: seconds */
	CONF_BOOL,	  /* bool, oslo.config's words */
	CONF_BOOL_LAX,	  /* bool, oslo.utils bool_from_string(): unknown words are false */
	CONF_CHOICE,	  /* an enum: the index of the value in choices */
	CONF_API_VERSION, /* struct agent_api_version */
	CONF_BOOTIF,	  /* struct agent_bootif; max: bytes */
	CONF_IGNORED,	  /* no field: read by old IPA only, a warning says so */
};

struct conf_key {
	const char *key;	    /* kernel command line, or NULL; in files also '_' for '-' */
	const char *name;	    /* IPA's oslo.config option: file key and --option; or NULL */
	char short_opt;		    /* argv: -x, or 0 */
	enum conf_type type;	    /* the field's type, checked by FIELD() */
	size_t offset;		    /* of the field in struct agent_conf */
	const char *def;	    /* IPA's default as text, parsed as a value; NULL: zero */
	unsigned min, max;	    /* see enum conf_type */
	const char *const *choices; /* CONF_CHOICE, NULL-terminated */
};

/* offsetof() that fails to compile unless the field has type T. */
#define FIELD(f, T)                                                                                \
	(offsetof(struct agent_conf, f) + 0 * _Generic(((struct agent_conf *)0)->f, T : 1))

#define ROW_STRING(k, n, f, m)                                                                     \
	{                                                                                          \
		.key = k, .name = n, .type = CONF_STRING, .offset = FIELD(f, char *), .max = m     \
	}
#define ROW_LIST(k, n, f, m)                                                                       \
	{                                                                                          \
		.key = k, .name = n, .type = CONF_LIST, .offset = FIELD(f, char **), .max = m      \
	}
#define ROW_UINT(k, n, f, d, lo, hi)                                                               \
	{                                                                                          \
		.key = k, .name = n, .type = CONF_UINT, .offset = FIELD(f, unsigned), .def = d,    \
		.min = lo, .max = hi                                                               \
	}
#define ROW_UINT0(k, n, f, d) ROW_UINT(k, n, f, d, 0, AGENT_CONF_INT_MAX)
#define ROW_PORT(k, n, f)     ROW_UINT(k, n, f, "9999", 1, 65535)
#define ROW_BOOL(k, n, f, d)                                                                       \
	{                                                                                          \
		.key = k, .name = n, .type = CONF_BOOL, .offset = FIELD(f, bool), .def = d         \
	}
#define ROW_CHOICE(k, n, f, d, c)                                                                  \
	{                                                                                          \
		.key = k, .name = n, .type = CONF_CHOICE, .offset = FIELD(f, unsigned), .def = d,  \
		.choices = c                                                                       \
	}

static const char *const protocols[] = {"http", "https", NULL};
static const char *const tls_versions[] = {"1.2", "1.3", NULL};
static const char *const tls_curves[] = {"p256", "p384", "p521", NULL};

/*
 * Every parameter IPA reads from the kernel command line (IPA master and 2023.1/zed, see
 * docs/ipa-protocol.md section 7.2). Defaults are IPA master's; where 2023.1 differs: lookup
 * timeout 300, collectors "default,logs" by default.
 */
static const struct conf_key conf_keys[] = {
    /* Ironic API client */
    {.key = "ipa-api-url",
     .name = "api_url",
     .type = CONF_URL_LIST,
     .offset = FIELD(api_urls, char **),
     .max = AGENT_CONF_URL_MAX},
    {.key = "ipa-ironic-api-version",
     .name = "ironic_api_version",
     .type = CONF_API_VERSION,
     .offset = FIELD(ironic_api_version, struct agent_api_version)},
    ROW_STRING("ipa-global-request-id", "global_request_id", global_request_id,
	       AGENT_CONF_STRING_MAX),
    ROW_STRING("ipa-agent-token", "agent_token", agent_token, AGENT_CONF_STRING_MAX),
    ROW_BOOL("ipa-agent-token-required", "agent_token_required", agent_token_required, "false"),
    ROW_BOOL("ipa-insecure", "insecure", insecure, "false"),
    /* oslo.log's option; IPA applies ipa-debug with set_override() and bool_from_string(). */
    {.key = "ipa-debug",
     .name = "debug",
     .short_opt = 'd',
     .type = CONF_BOOL_LAX,
     .offset = FIELD(debug, bool),
     .def = "false"},
    ROW_UINT("ipa-http-request-timeout", "http_request_timeout", http_request_timeout, "30", 1,
	     AGENT_CONF_INT_MAX),
    ROW_CHOICE("ipa-tls-min-version", "tls_min_version", tls_min_version, "1.2", tls_versions),
    ROW_STRING("ipa-tls-cipher-suites", "tls_cipher_suites", tls_cipher_suites,
	       AGENT_CONF_CIPHERS_MAX),
    ROW_CHOICE("ipa-tls-certificate-curve", "tls_certificate_curve", tls_certificate_curve, "p384",
	       tls_curves),
    /* In IPA's [mdns] group. */
    ROW_BOOL("ipa-use-mdns", "use_mdns", use_mdns, "false"),

    /* the agent's own API and the callback URL */
    ROW_STRING("ipa-listen-host", "listen_host", listen_host, AGENT_CONF_STRING_MAX),
    ROW_PORT("ipa-listen-port", "listen_port", listen_port),
    ROW_STRING("ipa-advertise-host", "advertise_host", advertise_host, AGENT_CONF_STRING_MAX),
    ROW_PORT("ipa-advertise-port", "advertise_port", advertise_port),
    ROW_CHOICE("ipa-advertise-protocol", "advertise_protocol", advertise_protocol, "http",
	       protocols),
    ROW_STRING("ipa-network-interface", "network_interface", network_interface,
	       AGENT_CONF_IFNAME_MAX),
    ROW_UINT("ipa-ip-lookup-attempts", "ip_lookup_attempts", ip_lookup_attempts, "6", 1,
	     AGENT_CONF_INT_MAX),
    ROW_UINT0("ipa-ip-lookup-timeout", "ip_lookup_sleep", ip_lookup_sleep, "10"),
    /* Not on IPA's kernel command line on purpose: static TLS needs files in the image. */
    ROW_BOOL(NULL, "listen_tls", listen_tls, "false"),
    ROW_STRING(NULL, "tls_cert_file", tls_cert_file, AGENT_CONF_PATH_MAX),
    ROW_STRING(NULL, "tls_key_file", tls_key_file, AGENT_CONF_PATH_MAX),
    ROW_BOOL(NULL, "enable_auto_tls", enable_auto_tls, "true"),

    /* lookup and start-up */
    ROW_UINT0("ipa-lookup-timeout", "lookup_timeout", lookup_timeout, "600"),
    ROW_UINT0("ipa-lookup-interval", "lookup_interval", lookup_interval, "1"),
    ROW_UINT0("ipa-hardware-initialization-delay", "hardware_initialization_delay",
	      hardware_initialization_delay, "0"),
    ROW_UINT0("ipa-disk-wait-attempts", "disk_wait_attempts", disk_wait_attempts, "10"),
    ROW_UINT0("ipa-disk-wait-delay", "disk_wait_delay", disk_wait_delay, "3"),

    /* inspection and network discovery */
    ROW_LIST("ipa-inspection-callback-url", "inspection_callback_url", inspection_callback_urls,
	     AGENT_CONF_URL_MAX),
    ROW_LIST("ipa-inspection-collectors", "inspection_collectors", inspection_collectors,
	     AGENT_CONF_STRING_MAX),
    /* Read straight from the kernel parameters by the extra-hardware collector. */
    ROW_LIST("ipa-inspection-benchmarks", NULL, inspection_benchmarks, AGENT_CONF_STRING_MAX),
    ROW_UINT0("ipa-inspection-dhcp-wait-timeout", "inspection_dhcp_wait_timeout",
	      inspection_dhcp_wait_timeout, "60"),
    ROW_BOOL("ipa-inspection-dhcp-all-interfaces", "inspection_dhcp_all_interfaces",
	     inspection_dhcp_all_interfaces, "false"),
    ROW_BOOL("ipa-collect-lldp", "collect_lldp", collect_lldp, "false"),
    {.key = "ipa-lldp-timeout",
     .name = "lldp_timeout",
     .type = CONF_SECONDS_MS,
     .offset = FIELD(lldp_timeout_ms, unsigned),
     .def = "30.0",
     .max = AGENT_CONF_INT_MAX / 1000},
    ROW_LIST("ipa-enable-vlan-interfaces", "enable_vlan_interfaces", enable_vlan_interfaces,
	     AGENT_CONF_STRING_MAX),
    ROW_STRING("ipa-ntp-server", "ntp_server", ntp_server, AGENT_CONF_STRING_MAX),

    /* image download */
    ROW_UINT("ipa-image-download-connection-timeout", "image_download_connection_timeout",
	     image_download_connection_timeout, "60", 1, AGENT_CONF_INT_MAX),
    ROW_UINT0("ipa-image-download-connection-retries", "image_download_connection_retries",
	      image_download_connection_retries, "9"),
    ROW_UINT0("ipa-image-download-connection-retry-interval",
	      "image_download_connection_retry_interval", image_download_connection_retry_interval,
	      "10"),
    ROW_UINT0("ipa-image-download-max-duration", "image_download_max_duration",
	      image_download_max_duration, "0"),

    /* deploy and clean steps; IPA spells the last option guard-special-filesystems */
    ROW_UINT("ipa-inject-files-priority", "inject_files_priority", inject_files_priority, "0", 0,
	     99),
    ROW_BOOL("ipa-ignore-bootloader-failure", "ignore_bootloader_failure",
	     ignore_bootloader_failure, "false"),
    ROW_BOOL("ipa-guard-special-filesystems", "guard_special_filesystems",
	     guard_special_filesystems, "true"),

    /* boot */
    {.key = "BOOTIF",
     .type = CONF_BOOTIF,
     .offset = FIELD(bootif, struct agent_bootif),
     .max = AGENT_CONF_STRING_MAX},
    ROW_STRING("boot_method", NULL, boot_method, AGENT_CONF_STRING_MAX),

    /* IPA < 7.0 only; since then standalone mode cannot be switched on from outside. */
    {.key = "ipa-standalone", .type = CONF_IGNORED},
};

#define N_KEYS ELEMENTSOF(conf_keys)

_Static_assert(N_KEYS <= AGENT_CONF_KEYS_MAX, "AGENT_CONF_KEYS_MAX is too small");
_Static_assert(sizeof(enum agent_protocol) == sizeof(unsigned), "enum fields are unsigned");
_Static_assert(sizeof(enum agent_tls_version) == sizeof(unsigned), "enum fields are unsigned");
_Static_assert(sizeof(enum agent_tls_curve) == sizeof(unsigned), "enum fields are unsigned");

union conf_value {
	char *s;
	char **l;
	unsigned u;
	bool b;
	struct agent_api_version v;
	struct agent_bootif bootif;
};

/*
 * Parses value for k into *ret, written only on success. Returns 0; 1 when the value was taken
 * but deserves a warning; -EINVAL or -ERANGE when it is invalid; -E2BIG when it is over a
 * limit; -ENOMEM. Except for 0 and -ENOMEM, why says what was wrong.
 */
typedef int (*conf_parser)(const struct conf_key *k, const char *value, union conf_value *ret,
			   char *why, size_t why_size);

/* Whole field of k inside c. */
static void *field_of(struct agent_conf *c, const struct conf_key *k)
{
	return (char *)c + k->offset;
}

/* Copies [b, e) without blanks around it into buf (size bytes); returns false if too long. */
static bool strip_copy(const char *b, const char *e, char *buf, size_t size)
{
	while (b < e && *b && strchr(BLANKS, *b))
		b++;
	while (e > b && e[-1] && strchr(BLANKS, e[-1]))
		e--;
	if ((size_t)(e - b) >= size)
		return false;
	memcpy(buf, b, (size_t)(e - b));
	buf[e - b] = '\0';
	return true;
}

/*
 * Python's int(str): blanks around, one optional sign, decimal digits with single '_' between
 * them. Returns 0, -EINVAL, or -ERANGE beyond long long.
 */
static int parse_python_int(const char *s, long long *ret)
{
	long long v = 0;
	bool negative = false, digits = false;

	s += strspn(s, BLANKS);
	if (*s == '+' || *s == '-')
		negative = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LLONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
		digits = true;
		if (s[1] == '_' && s[2] >= '0' && s[2] <= '9')
			s++;
	}
	if (!digits)
		return -EINVAL;
	s += strspn(s, BLANKS);
	if (*s != '\0')
		return -EINVAL;
	*ret = negative ? -v : v;
	return 0;
}

static int value_parse_string(const struct conf_key *k, const char *value, union conf_value *ret,
			      char *why, size_t why_size)
{
	char *s = NULL;

	if (strlen(value) > k->max) {
		snprintf(why, why_size, "longer than %u bytes", k->max);
		return -E2BIG;
	}
	/* IPA tests these for truth: "" behaves as unset everywhere it is read. */
	if (*value) {
		s = strdup(value);
		if (!s)
			return -ENOMEM;
	}
	ret->s = s;
	return 0;
}

static int value_parse_list(const struct conf_key *k, const char *value, union conf_value *ret,
			    char *why, size_t why_size)
{
	_cleanup_strv_free_ char **l = NULL;
	char item[AGENT_CONF_URL_MAX + 1];
	size_t n = 0;

	for (const char *p = value;;) {
		size_t len = strcspn(p, ",");
		int r;

		if (!strip_copy(p, p + len, item, MIN(sizeof(item), (size_t)k->max + 1))) {
			snprintf(why, why_size, "an item is longer than %u bytes", k->max);
			return -E2BIG;
		}
		if (item[0]) {
			if (++n > AGENT_CONF_LIST_MAX) {
				snprintf(why, why_size, "more than %u items", AGENT_CONF_LIST_MAX);
				return -E2BIG;
			}
			r = strv_extend(&l, item);
			if (r < 0)
				return r;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	ret->l = TAKE_PTR(l);
	return 0;
}

static bool is_api_url(const char *s)
{
	/* IPA's regex ^(mdns|http(s?):\/\/.+), applied here to each item. */
	return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]);
}

/*
 * IPA checks its regex against the whole value, so only the first URL, and dies when it does
 * not match. Here every URL is checked: bad ones are dropped with a warning, and the value is
 * invalid only when none is left. "mdns" counts only alone, as in IPA (api_url == 'mdns').
 */
static int value_parse_url_list(const struct conf_key *k, const char *value, union conf_value *ret,
				char *why, size_t why_size)
{
	_cleanup_strv_free_ char **l = NULL;
	union conf_value v;
	size_t out = 0, dropped = 0;
	int r;

	r = value_parse_list(k, value, &v, why, why_size);
	if (r < 0)
		return r;
	l = v.l;
	if (strv_length(l) == 1 && strcmp(l[0], "mdns") == 0) {
		ret->l = TAKE_PTR(l);
		return 0;
	}
	for (size_t i = 0; l && l[i]; i++) {
		if (is_api_url(l[i])) {
			l[out++] = l[i];
			continue;
		}
		free(l[i]);
		dropped++;
	}
	if (l)
		l[out] = NULL;
	if (out == 0) {
		snprintf(why, why_size, "expected http:// or https:// URLs, or mdns");
		return -EINVAL;
	}
	ret->l = TAKE_PTR(l);
	if (dropped == 0)
		return 0;
	snprintf(why, why_size, "dropped %zu item(s) not starting with http:// or https://",
		 dropped);
	return 1;
}

static int value_parse_uint(const struct conf_key *k, const char *value, union conf_value *ret,
			    char *why, size_t why_size)
{
	long long v;
	int r;

	r = parse_python_int(value, &v);
	if (r >= 0 && (v < k->min || v > k->max))
		r = -ERANGE;
	if (r < 0) {
		snprintf(why, why_size, "expected an integer from %u to %u", k->min, k->max);
		return r;
	}
	ret->u = (unsigned)v;
	return 0;
}

/*
 * Python's float(), within what a timeout needs: blanks around, sign, digits, '.', exponent.
 * inf, nan, hex and '_' are refused (float() takes them); so are negative values, which IPA
 * would pass on to select().
 */
static int value_parse_seconds_ms(const struct conf_key *k, const char *value,
				  union conf_value *ret, char *why, size_t why_size)
{
	char buf[64], *end;
	double d;

	snprintf(why, why_size, "expected a number of seconds from 0 to %u", k->max);
	if (!strip_copy(value, value + strlen(value), buf, sizeof(buf)) || buf[0] == '\0' ||
	    buf[strspn(buf, "0123456789.eE+-")] != '\0')
		return -EINVAL;
	errno = 0;
	d = strtod(buf, &end); /* the agent never calls setlocale(): '.' is the decimal point */
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || d < 0 || d > k->max)
		return -ERANGE;
	ret->u = (unsigned)(d * 1000 + 0.5);
	return 0;
}

static const struct {
	const char *word;
	bool value;
} oslo_bools[] = {
    {"true", true},   {"1", true},  {"on", true},   {"yes", true},
    {"false", false}, {"0", false}, {"off", false}, {"no", false},
};

/* oslo.config's Boolean: the value lowered, not stripped. */
static int value_parse_bool(const struct conf_key *k, const char *value, union conf_value *ret,
			    char *why, size_t why_size)
{
	(void)k;
	for (size_t i = 0; i < ELEMENTSOF(oslo_bools); i++)
		if (strcasecmp(value, oslo_bools[i].word) == 0) {
			ret->b = oslo_bools[i].value;
			return 0;
		}
	snprintf(why, why_size, "expected true/false, 1/0, yes/no or on/off");
	return -EINVAL;
}

static const char *const lax_true[] = {"1", "t", "true", "on", "y", "yes"};
static const char *const lax_false[] = {"0", "f", "false", "off", "n", "no"};

/* oslo.utils' bool_from_string(s, default=False): stripped, lowered; other words are false. */
static int value_parse_bool_lax(const struct conf_key *k, const char *value, union conf_value *ret,
				char *why, size_t why_size)
{
	char buf[8];

	(void)k;
	if (strip_copy(value, value + strlen(value), buf, sizeof(buf))) {
		for (size_t i = 0; i < ELEMENTSOF(lax_true); i++)
			if (strcasecmp(buf, lax_true[i]) == 0) {
				ret->b = true;
				return 0;
			}
		for (size_t i = 0; i < ELEMENTSOF(lax_false); i++)
			if (strcasecmp(buf, lax_false[i]) == 0) {
				ret->b = false;
				return 0;
			}
	}
	snprintf(why, why_size, "not a boolean, taken as false as IPA does");
	ret->b = false;
	return 1;
}

/* oslo.config's String with choices: exact, case-sensitive. */
static int value_parse_choice(const struct conf_key *k, const char *value, union conf_value *ret,
			      char *why, size_t why_size)
{
	size_t n;

	for (unsigned i = 0; k->choices[i]; i++)
		if (strcmp(value, k->choices[i]) == 0) {
			ret->u = i;
			return 0;
		}
	n = (size_t)snprintf(why, why_size, "expected one of");
	for (unsigned i = 0; k->choices[i] && n < why_size; i++)
		n += (size_t)snprintf(why + n, why_size - n, "%s %s", i > 0 ? "," : "",
				      k->choices[i]);
	return -EINVAL;
}

/*
 * IPA: version = s.split('.'); (int(version[0]), int(version[1])), fields after the second
 * ignored. On failure it logs and falls back to discovery, which is what ignoring it here does.
 */
static int value_parse_api_version(const struct conf_key *k, const char *value,
				   union conf_value *ret, char *why, size_t why_size)
{
	char field[2][32];
	long long v[2];
	const char *p = value;

	(void)k;
	snprintf(why, why_size, "expected a version X.Y");
	for (size_t i = 0; i < 2; i++) {
		size_t len = strcspn(p, ".");

		if ((i == 0 && p[len] != '.') ||
		    !strip_copy(p, p + len, field[i], sizeof(field[i])))
			return -EINVAL;
		if (parse_python_int(field[i], &v[i]) < 0 || v[i] < 0 || v[i] > AGENT_CONF_INT_MAX)
			return -EINVAL;
		p += len + (p[len] == '.');
	}
	ret->v = (struct agent_api_version){(unsigned)v[0], (unsigned)v[1]};
	return 0;
}

/*
 * IPA keeps BOOTIF as text: inventory boot.pxe_interface reports it verbatim, and the DHCP wait
 * before inspection compares it, normalised, with the MACs. A value that is no MAC is kept as
 * text (IPA would wait for an interface that never matches).
 */
static int value_parse_bootif(const struct conf_key *k, const char *value, union conf_value *ret,
			      char *why, size_t why_size)
{
	struct agent_bootif b = {0};

	if (strlen(value) > k->max) {
		snprintf(why, why_size, "longer than %u bytes", k->max);
		return -E2BIG;
	}
	b.text = strdup(value);
	if (!b.text)
		return -ENOMEM;
	b.has_mac = hwaddr_parse_bootif(value, &b.mac) >= 0;
	ret->bootif = b;
	if (b.has_mac)
		return 0;
	snprintf(why, why_size, "not an Ethernet MAC address, kept as text only");
	return 1;
}

static int value_parse_ignored(const struct conf_key *k, const char *value, union conf_value *ret,
			       char *why, size_t why_size)
{
	(void)k;
	(void)value;
	(void)ret;
	snprintf(why, why_size, "ignored, as IPA has done since 7.0");
	return 1;
}

static void value_free_string(union conf_value *v)
{
	free(v->s);
}

static void value_free_list(union conf_value *v)
{
	strv_free(v->l);
}

static void value_free_bootif(union conf_value *v)
{
	free(v->bootif.text);
}

static const struct conf_type_info {
	conf_parser parse;
	void (*free)(union conf_value *v); /* NULL: nothing to free */
	size_t size;			   /* of the field; 0: no field */
	bool flag;			   /* argv: --name and --noname without a value */
} conf_types[] = {
    [CONF_STRING] = {value_parse_string, value_free_string, sizeof(char *), false},
    [CONF_LIST] = {value_parse_list, value_free_list, sizeof(char **), false},
    [CONF_URL_LIST] = {value_parse_url_list, value_free_list, sizeof(char **), false},
    [CONF_UINT] = {value_parse_uint, NULL, sizeof(unsigned), false},
    [CONF_SECONDS_MS] = {value_parse_seconds_ms, NULL, sizeof(unsigned), false},
    [CONF_BOOL] = {value_parse_bool, NULL, sizeof(bool), true},
    [CONF_BOOL_LAX] = {value_parse_bool_lax, NULL, sizeof(bool), true},
    [CONF_CHOICE] = {value_parse_choice, NULL, sizeof(unsigned), false},
    [CONF_API_VERSION] = {value_parse_api_version, NULL, sizeof(struct agent_api_version), false},
    [CONF_BOOTIF] = {value_parse_bootif, value_free_bootif, sizeof(struct agent_bootif), false},
    [CONF_IGNORED] = {value_parse_ignored, NULL, 0, false},
};

static void value_free(const struct conf_key *k, union conf_value *v)
{
	if (conf_types[k->type].free)
		conf_types[k->type].free(v);
}

/* Moves v into the field of k, freeing what was there. */
static void field_store(struct agent_conf *c, const struct conf_key *k, union conf_value *v)
{
	size_t size = conf_types[k->type].size;
	union conf_value old;

	if (size == 0)
		return;
	memcpy(&old, field_of(c, k), size);
	value_free(k, &old);
	memcpy(field_of(c, k), v, size);
}

void agent_conf_init_defaults(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		union conf_value v;
		char why[128];

		/* Defaults are numbers, booleans and choices only: nothing to allocate. */
		if (k->def && conf_types[k->type].parse(k, k->def, &v, why, sizeof(why)) == 0)
			memcpy(field_of(c, k), &v, conf_types[k->type].size);
	}
}

void agent_conf_done(struct agent_conf *c)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		union conf_value v;

		if (conf_types[k->type].size == 0)
			continue;
		memcpy(&v, field_of(c, k), conf_types[k->type].size);
		value_free(k, &v);
	}
	strv_free(c->warnings);
	agent_conf_init_defaults(c);
}

int agent_conf_source_of(const struct agent_conf *c, const char *cmdline_key)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (k->key ? strcmp(k->key, cmdline_key) == 0 : strcmp(k->name, cmdline_key) == 0)
			return c->source[i];
	}
	return -ENOENT;
}

/*
 * One call's input, collected before anything is applied: the last value of each parameter as
 * written, and the messages so far.
 */
struct pending {
	enum agent_conf_source source;
	const char *path; /* AGENT_CONF_SOURCE_FILE */
	char *spelling[N_KEYS];
	char *value[N_KEYS];
	unsigned line[N_KEYS];
	char **messages;
	bool oom; /* a message could not be kept */
};

static void pending_done(struct pending *p)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		free(p->spelling[i]);
		free(p->value[i]);
	}
	strv_free(p->messages);
}

_printf_(2, 3) static void pending_message(struct pending *p, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strv_extend(&p->messages, buf) < 0)
		p->oom = true;
}

static int pending_set(struct pending *p, size_t i, const char *spelling, const char *value,
		       unsigned line)
{
	char *s = strdup(spelling), *v = strdup(value);

	if (!s || !v) {
		free(s);
		free(v);
		return -ENOMEM;
	}
	free(p->spelling[i]);
	free(p->value[i]);
	p->spelling[i] = s;
	p->value[i] = v;
	p->line[i] = line;
	return 0;
}

/* Where row i came from, for messages: " on the kernel command line" and such. */
static const char *pending_where(const struct pending *p, size_t i, char *buf, size_t size)
{
	switch (p->source) {
	case AGENT_CONF_SOURCE_FILE:
		snprintf(buf, size, " in '%s' line %u", p->path, p->line[i]);
		return buf;
	case AGENT_CONF_SOURCE_CMDLINE:
		return " on the kernel command line";
	case AGENT_CONF_SOURCE_ARGV:
		return " on the command line";
	default:
		return "";
	}
}

/* At most 64 bytes of s, control characters made visible, for messages. */
static const char *elide(const char *s, char buf[static 72])
{
	size_t n = 0;

	for (; *s && n < 64; s++)
		buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	strcpy(&buf[n], *s ? "..." : "");
	return buf;
}

/* Appends the messages to c->warnings. Returns 0 or -ENOMEM. */
static int pending_flush_messages(struct agent_conf *c, struct pending *p)
{
	size_t n = strv_length(c->warnings), m = strv_length(p->messages);
	char **l;

	if (m == 0)
		return 0;
	l = realloc(c->warnings, (n + m + 1) * sizeof(char *));
	if (!l)
		return -ENOMEM;
	memcpy(&l[n], p->messages, (m + 1) * sizeof(char *));
	free(p->messages);
	p->messages = NULL;
	c->warnings = l;
	return 0;
}

/*
 * Parses every collected value, then stores them all, or nothing: a value over its limit (or,
 * from argv, an invalid one) fails the call. Invalid values elsewhere are left out with a
 * message. Messages go to c->warnings in both cases.
 */
static int pending_commit(struct agent_conf *c, struct pending *p)
{
	union conf_value tmp[N_KEYS];
	bool have[N_KEYS] = {false};
	int r = 0;

	for (size_t i = 0; i < N_KEYS && r == 0; i++) {
		const struct conf_key *k = &conf_keys[i];
		char why[256] = "", buf[512], shown[72];
		const char *where, *key = p->spelling[i], *value = p->value[i];
		int q;

		if (!value)
			continue;
		q = conf_types[k->type].parse(k, value, &tmp[i], why, sizeof(why));
		where = pending_where(p, i, buf, sizeof(buf));
		if (q == -ENOMEM) {
			r = q;
		} else if (q == -E2BIG) {
			pending_message(p, "refusing '%s'%s: %s", key, where, why);
			r = q;
		} else if (q != 0 && p->source == AGENT_CONF_SOURCE_ARGV) {
			/* A person typed it: what would be a warning elsewhere is an error. */
			pending_message(p, "refusing '%s=%s'%s: %s", key, elide(value, shown),
					where, why);
			if (q > 0)
				value_free(k, &tmp[i]);
			r = -EINVAL;
		} else if (q < 0) {
			pending_message(p, "ignoring '%s=%s'%s: %s", key, elide(value, shown),
					where, why);
		} else {
			if (q > 0)
				pending_message(p, "'%s=%s'%s: %s", key, elide(value, shown), where,
						why);
			have[i] = true;
		}
	}
	if (r == 0 && p->oom)
		r = -ENOMEM;
	if (r == 0)
		r = pending_flush_messages(c, p);
	if (r < 0) {
		for (size_t i = 0; i < N_KEYS; i++)
			if (have[i])
				value_free(&conf_keys[i], &tmp[i]);
		if (r != -ENOMEM)
			(void)pending_flush_messages(c, p);
		return r;
	}

	for (size_t i = 0; i < N_KEYS; i++) {
		if (!have[i])
			continue;
		if (p->source < c->source[i]) {
			value_free(&conf_keys[i], &tmp[i]);
			continue;
		}
		field_store(c, &conf_keys[i], &tmp[i]);
		c->source[i] = (unsigned char)p->source;
	}
	return 0;
}

/* A failure found while collecting: its message, then nothing applied. */
static int pending_fail(struct agent_conf *c, struct pending *p, int r)
{
	if (r != -ENOMEM)
		(void)pending_flush_messages(c, p);
	return r;
}

/* Names equal with '-' and '_' taken as the same character; b has length b_len. */
static bool name_equal(const char *a, const char *b, size_t b_len)
{
	for (size_t i = 0; i < b_len; i++, a++) {
		char x = *a == '-' ? '_' : *a, y = b[i] == '-' ? '_' : b[i];

		if (*a == '\0' || x != y)
			return false;
	}
	return *a == '\0';
}

static int cmdline_collect(const char *key, const char *value, void *userdata)
{
	struct pending *p = userdata;

	for (size_t i = 0; i < N_KEYS; i++) {
		if (!conf_keys[i].key || strcmp(conf_keys[i].key, key) != 0)
			continue;
		/* IPA keeps only key=value words. */
		if (!value) {
			pending_message(
			    p, "ignoring '%s' without a value on the kernel command line", key);
			return 0;
		}
		return pending_set(p, i, key, value, 0);
	}
	return 0;
}

int agent_conf_from_cmdline(struct agent_conf *c, const char *cmdline)
{
	struct pending p = {.source = AGENT_CONF_SOURCE_CMDLINE};
	size_t len = strlen(cmdline);
	int r;

	if (len > CMDLINE_MAX) {
		pending_message(&p, "refusing the kernel command line: longer than %u bytes",
				CMDLINE_MAX);
		r = pending_fail(c, &p, -E2BIG);
		goto out;
	}
	r = cmdline_parse(cmdline, len, cmdline_collect, &p);
	r = r < 0 ? pending_fail(c, &p, r) : pending_commit(c, &p);
out:
	pending_done(&p);
	return r;
}

static int file_collect(const char *key, const char *value, unsigned line, void *userdata)
{
	struct pending *p = userdata;
	size_t len = strlen(key);

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if ((k->name && name_equal(k->name, key, len)) ||
		    (k->key && name_equal(k->key, key, len)))
			return pending_set(p, i, key, value, line);
	}
	pending_message(p, "ignoring unknown key '%s' in '%s' line %u", key, p->path, line);
	return 0;
}

int agent_conf_from_file_text(struct agent_conf *c, const char *buf, size_t len, const char *path)
{
	struct pending p = {.source = AGENT_CONF_SOURCE_FILE, .path = path};
	unsigned line = 0;
	int r;

	r = conf_parse(buf, len, file_collect, &p, &line);
	if (r == -EFBIG)
		pending_message(&p, "refusing '%s': larger than %u bytes", path, CONF_FILE_MAX);
	else if (r == -E2BIG)
		pending_message(&p, "refusing '%s': line %u is longer than %u bytes", path, line,
				CONF_LINE_MAX);
	else if (r == -EINVAL)
		pending_message(&p, "refusing '%s': syntax error in line %u", path, line);
	r = r < 0 ? pending_fail(c, &p, r) : pending_commit(c, &p);
	pending_done(&p);
	return r;
}

int agent_conf_from_file(struct agent_conf *c, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_full_file_at(AT_FDCWD, path, CONF_FILE_MAX, &buf, &len);
	if (r == -EFBIG) {
		struct pending p = {.source = AGENT_CONF_SOURCE_FILE, .path = path};

		pending_message(&p, "refusing '%s': larger than %u bytes", path, CONF_FILE_MAX);
		r = pending_fail(c, &p, r);
		pending_done(&p);
		return r;
	}
	if (r < 0)
		return r;
	return agent_conf_from_file_text(c, buf, len, path);
}

/* The row whose option name is name[0..len), or -ENOENT. */
static int option_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (conf_keys[i].name && name_equal(conf_keys[i].name, name, len))
			return (int)i;
	return -ENOENT;
}

/* One argv word at *i (advanced past a separate value). Returns 0 or a negative errno. */
static int argv_collect(struct pending *p, int argc, char *const *argv, int *i)
{
	const char *arg = argv[*i], *name, *value, *eq;
	char spelling[80], shown[72];
	bool negated = false;
	size_t len;
	int row;

	if (arg[0] != '-' || strcmp(arg, "-") == 0) {
		pending_message(p, "unexpected argument '%s'", elide(arg, shown));
		return -EINVAL;
	}
	if (arg[1] != '-') {
		for (size_t k = 0; k < N_KEYS; k++)
			if (conf_keys[k].short_opt && conf_keys[k].short_opt == arg[1] && !arg[2])
				return pending_set(p, k, arg, "true", 0);
		pending_message(p, "unknown option '%s'", elide(arg, shown));
		return -EINVAL;
	}

	name = arg + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	row = option_find(name, len);
	if (row < 0 && !eq && len > 2 && strncmp(name, "no", 2) == 0) {
		/* oslo.config's --noinsecure; --no-insecure too. */
		size_t skip = name[2] == '-' || name[2] == '_' ? 3 : 2;

		row = option_find(name + skip, len - skip);
		if (row >= 0 && !conf_types[conf_keys[row].type].flag)
			row = -ENOENT;
		negated = true;
	}
	snprintf(spelling, sizeof(spelling), "--%.*s", (int)MIN(len, (size_t)64), name);
	if (row < 0) {
		pending_message(p, "unknown option '%s'", spelling);
		return -EINVAL;
	}

	if (eq)
		value = eq + 1;
	else if (conf_types[conf_keys[row].type].flag)
		value = negated ? "false" : "true";
	else if (*i + 1 < argc)
		value = argv[++*i];
	else {
		pending_message(p, "option '%s' needs a value", spelling);
		return -EINVAL;
	}
	return pending_set(p, (size_t)row, spelling, value, 0);
}

int agent_conf_from_argv(struct agent_conf *c, int argc, char *const *argv)
{
	struct pending p = {.source = AGENT_CONF_SOURCE_ARGV};
	int r = 0;

	for (int i = 1; i < argc && r == 0; i++) {
		/* "--" ends the options; IPA takes no other arguments. */
		if (strcmp(argv[i], "--") == 0) {
			if (i + 1 < argc) {
				char shown[72];

				pending_message(&p, "unexpected argument '%s'",
						elide(argv[i + 1], shown));
				r = -EINVAL;
			}
			break;
		}
		r = argv_collect(&p, argc, argv, &i);
	}
	r = r < 0 ? pending_fail(c, &p, r) : pending_commit(c, &p);
	pending_done(&p);
	return r;
}
