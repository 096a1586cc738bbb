#pragma once

/*
 * The agent's configuration: every parameter ironic-python-agent (IPA) reads from the kernel
 * command line, with IPA's defaults and IPA's value syntax, from four sources:
 *
 *   agent_conf_init_defaults()   IPA's defaults
 *   agent_conf_from_file()       KEY=VALUE file (basic/conf.h syntax), AGENT_CONF_FILE
 *   agent_conf_from_cmdline()    the kernel command line (basic/cmdline.h words)
 *   agent_conf_from_argv()       long options, for running the agent on a host
 *
 * Precedence is defaults < file < kernel command line < argv, whatever the order of the calls:
 * each parameter remembers the source that set it, and a later call from a lower source does
 * not override it. Two calls from the same source (the kernel command line, then a virtual
 * media parameters.txt, which has the same words and must win) apply in call order. IPA differs
 * here: its kernel parameters are only the defaults of its oslo.config options, so its config
 * file beats the kernel command line, except for ipa-debug, which IPA forces over everything.
 * ingot's file is built into the image, where the command line should be able to override it.
 *
 * Spellings. Each parameter has a kernel command line key (ipa-api-url) and, mostly, IPA's
 * oslo.config option name (api_url). The kernel command line takes the key only. A file takes
 * the option name or the key with '-' written '_' (api_url or ipa_api_url; conf.h keys cannot
 * hold '-'). argv takes --<option name>, with '-' or '_' inside (--api-url, --api_url; IPA's
 * own spelling is --api_url), as --name=value or --name value; booleans also as --name (true)
 * and --noname (false), as oslo.config does; -d is --debug. A few parameters have no option
 * name (BOOTIF, boot_method, ipa-inspection-benchmarks): IPA reads them from the kernel command
 * line only. Four have no kernel command line key: listen_tls, tls_cert_file, tls_key_file and
 * enable_auto_tls, which IPA keeps off the command line on purpose (they name files that must
 * be built into the ramdisk); the file and argv take them by option name only.
 *
 * Values, as IPA parses them:
 *   - booleans: true/1/on/yes and false/0/off/no, any case (oslo.config); anything else is
 *     invalid. ipa-debug (debug, from any source) goes through oslo.utils' bool_from_string:
 *     1/t/true/on/y/yes is true, anything else false, with a warning when not 0/f/false/off/n/no.
 *   - integers: Python int(): optional sign, decimal digits, single '_' between digits,
 *     surrounding blanks. Each has a range (ports 1-65535, times and counts from 0, a few from
 *     1), at most AGENT_CONF_INT_MAX.
 *   - seconds with a fraction (ipa-lldp-timeout): Python float() without inf, nan and hex.
 *   - choices (ipa-advertise-protocol, ipa-tls-*): exact, case-sensitive.
 *   - lists: split at ',', items stripped of blanks, empty items dropped. An ipa-api-url item
 *     that does not start with http:// or https:// is dropped with a warning (IPA checks the
 *     first only, and dies); "mdns" alone means "find Ironic with mDNS".
 *   - strings: taken as they are; an empty value means unset (IPA tests them for truth).
 *   - a key without '=' on the kernel command line is ignored, as by IPA.
 *   - repeated keys: the last one counts, valid or not (IPA keeps a dict of the words).
 *
 * Invalid values. IPA turns the kernel parameters into oslo.config defaults, so a value of the
 * wrong type (ipa-listen-port=abc, ipa-insecure=maybe, ipa-lookup-timeout=-1) raises while the
 * agent imports its configuration: IPA dies before its first log line, and systemd restarts it
 * into the same death. Here such a value is ignored instead: the parameter keeps the value of
 * the lower sources (or the default) and a line goes to warnings. On argv, where a person typed
 * it, an invalid value (or one that elsewhere gives a warning) fails the call with -EINVAL.
 * BOOTIF is never invalid: IPA keeps its text whatever it is (see struct agent_bootif).
 *
 * Limits. Every string has a hard length limit, below; a longer value fails the whole call with
 * -E2BIG and nothing of that call is applied (never a truncated value).
 *
 * Unknown keys are ignored: the kernel command line is shared with the kernel and init, and IPA
 * ignores unknown ones too. A file says so in warnings; argv fails with -EINVAL.
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/hwaddr.h"

#define AGENT_CONF_FILE "/etc/ingot/agent.conf"

/* Hard limits, in bytes without the NUL. */
#define AGENT_CONF_URL_MAX     2048 /* each ipa-api-url and ipa-inspection-callback-url item */
#define AGENT_CONF_LIST_MAX    32   /* items in any list */
#define AGENT_CONF_STRING_MAX  255  /* host names, addresses, token, request id, other items */
#define AGENT_CONF_CIPHERS_MAX 1024 /* ipa-tls-cipher-suites */
#define AGENT_CONF_IFNAME_MAX  15   /* ipa-network-interface: IFNAMSIZ - 1 */
#define AGENT_CONF_PATH_MAX    4095 /* tls_cert_file, tls_key_file: PATH_MAX - 1 */
#define AGENT_CONF_INT_MAX     2147483647 /* any integer; fits an int */

/* Parameters in the table; sizes source[] below. */
#define AGENT_CONF_KEYS_MAX 64

enum agent_conf_source {
	AGENT_CONF_SOURCE_DEFAULT,
	AGENT_CONF_SOURCE_FILE,
	AGENT_CONF_SOURCE_CMDLINE,
	AGENT_CONF_SOURCE_ARGV,
};

enum agent_protocol {
	AGENT_PROTOCOL_HTTP,
	AGENT_PROTOCOL_HTTPS,
};

enum agent_tls_version {
	AGENT_TLS_1_2,
	AGENT_TLS_1_3,
};

enum agent_tls_curve {
	AGENT_TLS_CURVE_P256,
	AGENT_TLS_CURVE_P384,
	AGENT_TLS_CURVE_P521,
};

/* ipa-ironic-api-version: {0, 0} means "discover with GET /" (IPA's default). */
struct agent_api_version {
	unsigned major;
	unsigned minor;
};

/*
 * BOOTIF, kept twice: IPA reports the text verbatim as inventory boot.pxe_interface, and
 * compares it as a MAC address when it waits for DHCP before inspection.
 */
struct agent_bootif {
	char *text;   /* as given, "" included; NULL when absent */
	bool has_mac; /* text is "01-aa-bb-cc-dd-ee-ff" or "aa:bb:cc:dd:ee:ff" (or with '-') */
	struct hwaddr mac;
};

/*
 * Every parameter, kernel command line key first, IPA's default in brackets. Strings are NULL
 * when unset; lists are NULL-terminated vectors, NULL when unset (never empty).
 */
struct agent_conf {
	/* Ironic API client */
	char **api_urls; /* ipa-api-url: as given, tried in order; {"mdns"} (unset) */
	struct agent_api_version ironic_api_version; /* ipa-ironic-api-version ({0, 0}) */
	char *global_request_id;       /* ipa-global-request-id: X-OpenStack-Request-ID (unset) */
	char *agent_token;	       /* ipa-agent-token: pre-generated token (unset) */
	bool agent_token_required;     /* ipa-agent-token-required: zed only (false) */
	bool insecure;		       /* ipa-insecure: no TLS verification as a client (false) */
	bool debug;		       /* ipa-debug (false) */
	unsigned http_request_timeout; /* ipa-http-request-timeout: seconds, >= 1 (30) */
	enum agent_tls_version tls_min_version; /* ipa-tls-min-version: "1.2"/"1.3" (1.2) */
	char *tls_cipher_suites;		/* ipa-tls-cipher-suites: TLS 1.2 list (unset) */
	enum agent_tls_curve tls_certificate_curve; /* ipa-tls-certificate-curve (p384) */
	bool use_mdns; /* ipa-use-mdns: mDNS when no API URL is given (false) */

	/* the agent's own API and the callback URL */
	char *listen_host;	 /* ipa-listen-host (unset: "::", or "0.0.0.0" without IPv6) */
	unsigned listen_port;	 /* ipa-listen-port (9999) */
	char *advertise_host;	 /* ipa-advertise-host (unset: found by route lookup) */
	unsigned advertise_port; /* ipa-advertise-port (9999) */
	enum agent_protocol advertise_protocol; /* ipa-advertise-protocol (http) */
	char *network_interface;     /* ipa-network-interface: advertise its IPv4 (unset) */
	unsigned ip_lookup_attempts; /* ipa-ip-lookup-attempts: >= 1 (6) */
	unsigned ip_lookup_sleep;    /* ipa-ip-lookup-timeout: seconds between them (10) */

	/*
	 * The operator's TLS for the API, file and argv only (IPA's static TLS): listen_tls turns
	 * automatic TLS off and serves HTTPS with tls_cert_file (the certificate, then any chain)
	 * and tls_key_file; enable_auto_tls=false turns automatic TLS off alone. Without
	 * listen_tls the two files still serve HTTPS when automatic TLS does not happen, as in IPA.
	 */
	bool listen_tls;      /* listen_tls (false) */
	char *tls_cert_file;  /* tls_cert_file: a path (unset) */
	char *tls_key_file;   /* tls_key_file: a path (unset) */
	bool enable_auto_tls; /* enable_auto_tls (true) */

	/* lookup and start-up */
	unsigned lookup_timeout;  /* ipa-lookup-timeout: seconds (600) */
	unsigned lookup_interval; /* ipa-lookup-interval: seconds, first backoff (1) */
	unsigned hardware_initialization_delay; /* ipa-hardware-initialization-delay: s (0) */
	unsigned disk_wait_attempts;		/* ipa-disk-wait-attempts (10) */
	unsigned disk_wait_delay;		/* ipa-disk-wait-delay: seconds (3) */

	/* inspection and network discovery */
	char **inspection_callback_urls; /* ipa-inspection-callback-url; {"mdns"} (unset) */
	char **inspection_collectors;	 /* ipa-inspection-collectors (unset: "default,logs") */
	char **inspection_benchmarks;	 /* ipa-inspection-benchmarks: cpu, disk, mem (unset) */
	unsigned inspection_dhcp_wait_timeout; /* ipa-inspection-dhcp-wait-timeout: s (60) */
	bool inspection_dhcp_all_interfaces;   /* ipa-inspection-dhcp-all-interfaces (false) */
	bool collect_lldp;		       /* ipa-collect-lldp (false) */
	unsigned lldp_timeout_ms;	       /* ipa-lldp-timeout: seconds, fractions too (30.0) */
	char **enable_vlan_interfaces; /* ipa-enable-vlan-interfaces: "if.vlan", "if", "all" */
	char *ntp_server;	       /* ipa-ntp-server (unset) */

	/* image download */
	unsigned image_download_connection_timeout; /* ...-connection-timeout: s, >= 1 (60) */
	unsigned image_download_connection_retries; /* ...-connection-retries (9) */
	unsigned image_download_connection_retry_interval; /* ...-retry-interval: s (10) */
	unsigned image_download_max_duration; /* ipa-image-download-max-duration: s, 0 off (0) */

	/* deploy and clean steps */
	unsigned inject_files_priority; /* ipa-inject-files-priority: 0-99 (0: step disabled) */
	bool ignore_bootloader_failure; /* ipa-ignore-bootloader-failure (false) */
	bool guard_special_filesystems; /* ipa-guard-special-filesystems (true) */

	/* boot */
	struct agent_bootif bootif; /* BOOTIF (unset) */
	char *boot_method;	    /* boot_method: "vmedia" means read parameters.txt (unset) */

	/*
	 * One line per problem met by any call, in order, for the caller to log: ignored values
	 * and unknown file keys, and for a failed call the reason. NULL when none; the caller may
	 * free it (strv_free) and reset it to NULL at any time.
	 */
	char **warnings;

	/* Private: the source that set each parameter, by table row. */
	unsigned char source[AGENT_CONF_KEYS_MAX];
};

/* IPA's defaults, from the source row of each parameter. Allocates nothing. */
void agent_conf_init_defaults(struct agent_conf *c);

/* Frees everything and leaves c as after agent_conf_init_defaults(). */
void agent_conf_done(struct agent_conf *c);

/*
 * Applies the kernel command line cmdline (NUL-terminated; /proc/cmdline's content or a
 * virtual media parameters.txt). Returns 0 (warnings may have grown), -E2BIG when cmdline is
 * longer than CMDLINE_MAX or a value longer than its limit, or -ENOMEM; on failure nothing is
 * applied and, except for -ENOMEM, the reason is in warnings.
 */
int agent_conf_from_cmdline(struct agent_conf *c, const char *cmdline);

/*
 * Applies a KEY=VALUE file. Returns 0, a negative errno from reading it (-ENOENT when it does
 * not exist), -EFBIG when larger than CONF_FILE_MAX, -EINVAL for a syntax error, -E2BIG for a
 * line longer than CONF_LINE_MAX or a value longer than its limit, or -ENOMEM. On failure
 * nothing is applied and, except for -ENOMEM and read errors, the reason is in warnings.
 */
int agent_conf_from_file(struct agent_conf *c, const char *path);

/* The same for file content already in memory; path only names it in warnings. */
int agent_conf_from_file_text(struct agent_conf *c, const char *buf, size_t len, const char *path);

/*
 * Applies long options; argv[0] is the program and is skipped. Returns 0, -EINVAL for an
 * unknown option (--help and --version included: the caller handles those first), a missing
 * or invalid value, or a non-option argument, -E2BIG for a value longer than its limit, or
 * -ENOMEM. On failure nothing is applied and, except for -ENOMEM, the reason is in warnings.
 */
int agent_conf_from_argv(struct agent_conf *c, int argc, char *const *argv);

/*
 * Which source set the parameter with this kernel command line key (or option name, for those
 * without a key: "listen_tls"); -ENOENT if none such.
 */
int agent_conf_source_of(const struct agent_conf *c, const char *cmdline_key);
