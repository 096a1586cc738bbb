#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/conf.h"
#include "basic/macro.h"
#include "basic/cmdline.h"
#include "basic/conf.h"
#include "basic/strv.h"

#include "test.h"

/* A list as "a|b|c", "(unset)" for NULL. */
static const char *joined(char **l)
{
	static char buf[8192];

	if (!l)
		return "(unset)";
	buf[0] = '\0';
	for (size_t i = 0; l[i]; i++) {
		if (i > 0)
			strcat(buf, "|");
		strncat(buf, l[i], sizeof(buf) - strlen(buf) - 2);
	}
	return buf;
}

static const char *str(const char *s)
{
	return s ? s : "(unset)";
}

static size_t n_warnings(const struct agent_conf *c)
{
	return strv_length(c->warnings);
}

/* Whether some warning contains text. */
static bool warned(const struct agent_conf *c, const char *text)
{
	for (size_t i = 0; c->warnings && c->warnings[i]; i++)
		if (strstr(c->warnings[i], text))
			return true;
	return false;
}

static void print_warnings(const struct agent_conf *c)
{
	for (size_t i = 0; c->warnings && c->warnings[i]; i++)
		printf("#   warning: %s\n", c->warnings[i]);
}

static void reset(struct agent_conf *c)
{
	agent_conf_done(c);
}

static int cmdline(struct agent_conf *c, const char *line)
{
	return agent_conf_from_cmdline(c, line);
}

static int file(struct agent_conf *c, const char *text)
{
	return agent_conf_from_file_text(c, text, strlen(text), "agent.conf");
}

#define ARGV(c, ...)                                                                               \
	agent_conf_from_argv(c, (int)ELEMENTSOF(((char *[]){"ingot-agent", __VA_ARGS__})),         \
			     (char *const *)(char *[]){"ingot-agent", __VA_ARGS__})

static void test_defaults(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	CHECK(
	    !c.api_urls && c.ironic_api_version.major == 0 && c.ironic_api_version.minor == 0 &&
		!c.global_request_id && !c.agent_token && !c.agent_token_required && !c.insecure &&
		!c.debug && c.http_request_timeout == 30 && c.tls_min_version == AGENT_TLS_1_2 &&
		!c.tls_cipher_suites && c.tls_certificate_curve == AGENT_TLS_CURVE_P384 &&
		!c.use_mdns,
	    "defaults: API client (no URL, discovery, no token, verify TLS, 30 s, TLS 1.2, P-384)");
	CHECK(!c.listen_host && c.listen_port == 9999 && !c.advertise_host &&
		  c.advertise_port == 9999 && c.advertise_protocol == AGENT_PROTOCOL_HTTP &&
		  !c.network_interface && c.ip_lookup_attempts == 6 && c.ip_lookup_sleep == 10,
	      "defaults: listen on the wildcard :9999, advertise http :9999, 6 IP lookups 10 s "
	      "apart");
	CHECK(c.lookup_timeout == 600 && c.lookup_interval == 1 &&
		  c.hardware_initialization_delay == 0 && c.disk_wait_attempts == 10 &&
		  c.disk_wait_delay == 3,
	      "defaults: lookup 600 s from 1 s, no hardware delay, 10 disk waits 3 s apart");
	CHECK(
	    !c.inspection_callback_urls && !c.inspection_collectors && !c.inspection_benchmarks &&
		c.inspection_dhcp_wait_timeout == 60 && !c.inspection_dhcp_all_interfaces &&
		!c.collect_lldp && c.lldp_timeout_ms == 30000 && !c.enable_vlan_interfaces &&
		!c.ntp_server,
	    "defaults: no inspection, DHCP wait 60 s for BOOTIF, no LLDP (30 s), no VLANs, no NTP");
	CHECK(c.image_download_connection_timeout == 60 &&
		  c.image_download_connection_retries == 9 &&
		  c.image_download_connection_retry_interval == 10 &&
		  c.image_download_max_duration == 0,
	      "defaults: image download 60 s timeout, 9 retries 10 s apart, no total limit");
	CHECK(c.inject_files_priority == 0 && !c.ignore_bootloader_failure &&
		  c.guard_special_filesystems,
	      "defaults: inject_files disabled, bootloader failures fatal, special filesystems "
	      "guarded");
	CHECK(!c.bootif.text && !c.bootif.has_mac && !c.boot_method && !c.warnings,
	      "defaults: no BOOTIF, no boot_method, no warnings");
	CHECK(agent_conf_source_of(&c, "ipa-api-url") == AGENT_CONF_SOURCE_DEFAULT &&
		  agent_conf_source_of(&c, "BOOTIF") == AGENT_CONF_SOURCE_DEFAULT &&
		  agent_conf_source_of(&c, "ipa-nonsense") == -ENOENT,
	      "defaults: every source is DEFAULT; unknown key -ENOENT");
	agent_conf_done(&c);
	agent_conf_done(&c);
	CHECK(c.listen_port == 9999 && !c.warnings, "agent_conf_done() twice leaves defaults");
}

static void test_every_parameter(void)
{
	static const char line[] =
	    "ipa-api-url=http://192.0.2.1:6385,https://[2001:db8::1]:6385/ "
	    "ipa-ironic-api-version=1.68 "
	    "ipa-global-request-id=req-24f82dcf-268d-48b1-b6a7-f3b601ae1733 "
	    "ipa-agent-token=rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU "
	    "ipa-agent-token-required=1 ipa-insecure=1 ipa-debug=1 ipa-http-request-timeout=45 "
	    "ipa-tls-min-version=1.3 ipa-tls-cipher-suites=ECDHE-ECDSA-AES256-GCM-SHA384 "
	    "ipa-tls-certificate-curve=p256 ipa-use-mdns=true "
	    "ipa-listen-host=192.0.2.50 ipa-listen-port=9998 ipa-advertise-host=192.0.2.51 "
	    "ipa-advertise-port=443 ipa-advertise-protocol=https ipa-network-interface=eth1 "
	    "ipa-ip-lookup-attempts=3 ipa-ip-lookup-timeout=2 "
	    "ipa-lookup-timeout=300 ipa-lookup-interval=5 ipa-hardware-initialization-delay=7 "
	    "ipa-disk-wait-attempts=4 ipa-disk-wait-delay=0 "
	    "ipa-inspection-callback-url=http://192.0.2.1:5050/v1/continue "
	    "ipa-inspection-collectors=default,logs,pci-devices ipa-inspection-benchmarks=cpu,mem "
	    "ipa-inspection-dhcp-wait-timeout=0 ipa-inspection-dhcp-all-interfaces=yes "
	    "ipa-collect-lldp=on ipa-lldp-timeout=2.5 ipa-enable-vlan-interfaces=eth0.100,eth1 "
	    "ipa-ntp-server=192.0.2.123 "
	    "ipa-image-download-connection-timeout=30 ipa-image-download-connection-retries=0 "
	    "ipa-image-download-connection-retry-interval=1 ipa-image-download-max-duration=3600 "
	    "ipa-inject-files-priority=99 ipa-ignore-bootloader-failure=True "
	    "ipa-guard-special-filesystems=False "
	    "BOOTIF=01-52-54-00-12-34-56 boot_method=vmedia\n";
	struct agent_conf c;
	char mac[HWADDR_STR_MAX];
	int r;

	agent_conf_init_defaults(&c);
	r = cmdline(&c, line);
	print_warnings(&c);
	CHECK(r == 0 && !c.warnings, "every parameter: parsed without a warning (%d)", r);
	CHECK(strcmp(joined(c.api_urls), "http://192.0.2.1:6385|https://[2001:db8::1]:6385/") == 0,
	      "ipa-api-url: both URLs, as given (%s)", joined(c.api_urls));
	CHECK(c.ironic_api_version.major == 1 && c.ironic_api_version.minor == 68,
	      "ipa-ironic-api-version=1.68");
	CHECK(strcmp(str(c.global_request_id), "req-24f82dcf-268d-48b1-b6a7-f3b601ae1733") == 0,
	      "ipa-global-request-id");
	CHECK(strcmp(str(c.agent_token), "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU") == 0,
	      "ipa-agent-token");
	CHECK(c.agent_token_required && c.insecure && c.debug, "ipa-agent-token-required, "
							       "ipa-insecure, ipa-debug");
	CHECK(c.http_request_timeout == 45, "ipa-http-request-timeout=45");
	CHECK(c.tls_min_version == AGENT_TLS_1_3 &&
		  strcmp(str(c.tls_cipher_suites), "ECDHE-ECDSA-AES256-GCM-SHA384") == 0 &&
		  c.tls_certificate_curve == AGENT_TLS_CURVE_P256,
	      "ipa-tls-min-version, ipa-tls-cipher-suites, ipa-tls-certificate-curve");
	CHECK(c.use_mdns, "ipa-use-mdns");
	CHECK(strcmp(str(c.listen_host), "192.0.2.50") == 0 && c.listen_port == 9998,
	      "ipa-listen-host, ipa-listen-port");
	CHECK(strcmp(str(c.advertise_host), "192.0.2.51") == 0 && c.advertise_port == 443 &&
		  c.advertise_protocol == AGENT_PROTOCOL_HTTPS,
	      "ipa-advertise-host, ipa-advertise-port, ipa-advertise-protocol");
	CHECK(strcmp(str(c.network_interface), "eth1") == 0 && c.ip_lookup_attempts == 3 &&
		  c.ip_lookup_sleep == 2,
	      "ipa-network-interface, ipa-ip-lookup-attempts, ipa-ip-lookup-timeout");
	CHECK(c.lookup_timeout == 300 && c.lookup_interval == 5 &&
		  c.hardware_initialization_delay == 7 && c.disk_wait_attempts == 4 &&
		  c.disk_wait_delay == 0,
	      "ipa-lookup-timeout, -interval, -hardware-initialization-delay, -disk-wait-*");
	CHECK(strcmp(joined(c.inspection_callback_urls), "http://192.0.2.1:5050/v1/continue") == 0,
	      "ipa-inspection-callback-url");
	CHECK(strcmp(joined(c.inspection_collectors), "default|logs|pci-devices") == 0,
	      "ipa-inspection-collectors (%s)", joined(c.inspection_collectors));
	CHECK(strcmp(joined(c.inspection_benchmarks), "cpu|mem") == 0, "ipa-inspection-benchmarks");
	CHECK(c.inspection_dhcp_wait_timeout == 0 && c.inspection_dhcp_all_interfaces,
	      "ipa-inspection-dhcp-wait-timeout=0, ipa-inspection-dhcp-all-interfaces=yes");
	CHECK(c.collect_lldp && c.lldp_timeout_ms == 2500,
	      "ipa-collect-lldp, ipa-lldp-timeout=2.5");
	CHECK(strcmp(joined(c.enable_vlan_interfaces), "eth0.100|eth1") == 0,
	      "ipa-enable-vlan-interfaces");
	CHECK(strcmp(str(c.ntp_server), "192.0.2.123") == 0, "ipa-ntp-server");
	CHECK(c.image_download_connection_timeout == 30 &&
		  c.image_download_connection_retries == 0 &&
		  c.image_download_connection_retry_interval == 1 &&
		  c.image_download_max_duration == 3600,
	      "ipa-image-download-connection-timeout/-retries/-retry-interval, -max-duration");
	CHECK(c.inject_files_priority == 99 && c.ignore_bootloader_failure &&
		  !c.guard_special_filesystems,
	      "ipa-inject-files-priority, ipa-ignore-bootloader-failure, "
	      "ipa-guard-special-filesystems");
	CHECK(strcmp(str(c.bootif.text), "01-52-54-00-12-34-56") == 0 && c.bootif.has_mac &&
		  strcmp(hwaddr_format(&c.bootif.mac, mac), "52:54:00:12:34:56") == 0,
	      "BOOTIF: text kept, MAC 52:54:00:12:34:56");
	CHECK(strcmp(str(c.boot_method), "vmedia") == 0, "boot_method=vmedia");
	CHECK(agent_conf_source_of(&c, "ipa-api-url") == AGENT_CONF_SOURCE_CMDLINE &&
		  agent_conf_source_of(&c, "boot_method") == AGENT_CONF_SOURCE_CMDLINE,
	      "every parameter: source CMDLINE");
	agent_conf_done(&c);
}

static void check_bool(const char *value, int expected)
{
	struct agent_conf c;
	char line[128];
	int r;

	agent_conf_init_defaults(&c);
	c.insecure = expected != 1; /* the opposite, or a marker for "ignored" */
	snprintf(line, sizeof(line), "ipa-insecure=%s", value);
	r = cmdline(&c, line);
	if (expected >= 0)
		CHECK(r == 0 && c.insecure == expected && !c.warnings, "ipa-insecure=%s -> %s",
		      value, expected ? "true" : "false");
	else
		CHECK(r == 0 && c.insecure && warned(&c, "ipa-insecure") &&
			  warned(&c, "expected true/false"),
		      "ipa-insecure=%s ignored with a warning", value);
	agent_conf_done(&c);
}

static void check_debug(const char *value, bool expected, bool warning)
{
	struct agent_conf c;
	char line[128];

	agent_conf_init_defaults(&c);
	c.debug = !expected;
	snprintf(line, sizeof(line), "ipa-debug=%s", value);
	CHECK(cmdline(&c, line) == 0 && c.debug == expected && (n_warnings(&c) > 0) == warning,
	      "ipa-debug=%s -> %s%s", value, expected ? "true" : "false",
	      warning ? ", with a warning" : "");
	agent_conf_done(&c);
}

static void test_booleans(void)
{
	static const char *const yes[] = {"1", "true", "TRUE", "True", "on", "ON", "yes", "Yes"};
	static const char *const no[] = {"0", "false", "FALSE", "False", "off", "Off", "no", "NO"};
	/* oslo.config refuses bool_from_string's extra words and anything padded. */
	static const char *const bad[] = {"y", "n",	"t",	   "f",	    "2",
					  "",  "maybe", "enabled", "\" 1\""};
	struct agent_conf c;

	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		check_bool(yes[i], 1);
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		check_bool(no[i], 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		check_bool(bad[i], -1);

	/* ipa-debug: oslo.utils bool_from_string(), unknown words are false. */
	check_debug("1", true, false);
	check_debug("t", true, false);
	check_debug("Y", true, false);
	check_debug("yes", true, false);
	check_debug("\" on \"", true, false);
	check_debug("0", false, false);
	check_debug("n", false, false);
	check_debug("F", false, false);
	check_debug("maybe", false, true);
	check_debug("", false, true);

	/* Every other boolean goes through the same parser. */
	agent_conf_init_defaults(&c);
	CHECK(cmdline(&c, "ipa-guard-special-filesystems=no ipa-collect-lldp=Yes "
			  "ipa-inspection-dhcp-all-interfaces=ON ipa-ignore-bootloader-failure=1 "
			  "ipa-use-mdns=TRUE ipa-agent-token-required=on") == 0 &&
		  !c.guard_special_filesystems && c.collect_lldp &&
		  c.inspection_dhcp_all_interfaces && c.ignore_bootloader_failure && c.use_mdns &&
		  c.agent_token_required && !c.warnings,
	      "other booleans: no Yes ON 1 TRUE on");
	agent_conf_done(&c);
}

/* key=value must be ignored with a warning, the parameter keeping the value it had. */
static void check_ignored(const char *key, const char *value, const char *why)
{
	struct agent_conf c;
	char line[256], before[sizeof(struct agent_conf)];
	int r;

	agent_conf_init_defaults(&c);
	memcpy(before, &c, sizeof(c));
	snprintf(line, sizeof(line), "%s=%s", key, value);
	r = cmdline(&c, line);
	CHECK(r == 0 && n_warnings(&c) == 1 && warned(&c, key) && warned(&c, why), "%s ignored: %s",
	      line, c.warnings ? c.warnings[0] : "no warning");
	strv_free(c.warnings);
	c.warnings = NULL;
	CHECK(memcmp(before, &c, sizeof(c)) == 0, "%s left the configuration as it was", line);
	agent_conf_done(&c);
}

static void check_uint(const char *key, const char *value, size_t offset, unsigned expected)
{
	struct agent_conf c;
	char line[256];
	unsigned got;
	int r;

	agent_conf_init_defaults(&c);
	snprintf(line, sizeof(line), "%s=%s", key, value);
	r = cmdline(&c, line);
	memcpy(&got, (char *)&c + offset, sizeof(got));
	CHECK(r == 0 && got == expected && !c.warnings, "%s -> %u (got %u)", line, expected, got);
	agent_conf_done(&c);
}

#define OFF(f) offsetof(struct agent_conf, f)

static void test_integers(void)
{
	/* Python's int(): sign, leading zeros, '_' between digits. */
	check_uint("ipa-listen-port", "8080", OFF(listen_port), 8080);
	check_uint("ipa-listen-port", "+8080", OFF(listen_port), 8080);
	check_uint("ipa-listen-port", "08080", OFF(listen_port), 8080);
	check_uint("ipa-listen-port", "8_080", OFF(listen_port), 8080);
	check_uint("ipa-listen-port", "1", OFF(listen_port), 1);
	check_uint("ipa-listen-port", "65535", OFF(listen_port), 65535);
	check_uint("ipa-advertise-port", "\" 80 \"", OFF(advertise_port), 80);
	check_uint("ipa-lookup-timeout", "0", OFF(lookup_timeout), 0);
	check_uint("ipa-lookup-timeout", "-0", OFF(lookup_timeout), 0);
	check_uint("ipa-lookup-timeout", "2147483647", OFF(lookup_timeout), 2147483647);
	check_uint("ipa-inject-files-priority", "99", OFF(inject_files_priority), 99);
	check_uint("ipa-ip-lookup-attempts", "1", OFF(ip_lookup_attempts), 1);
	check_uint("ipa-image-download-connection-timeout", "1",
		   OFF(image_download_connection_timeout), 1);
	check_uint("ipa-lldp-timeout", "0", OFF(lldp_timeout_ms), 0);
	check_uint("ipa-lldp-timeout", "1e1", OFF(lldp_timeout_ms), 10000);
	check_uint("ipa-lldp-timeout", ".25", OFF(lldp_timeout_ms), 250);
	check_uint("ipa-lldp-timeout", "7", OFF(lldp_timeout_ms), 7000);

	check_ignored("ipa-listen-port", "abc", "expected an integer from 1 to 65535");
	check_ignored("ipa-listen-port", "", "expected an integer from 1 to 65535");
	check_ignored("ipa-listen-port", "0", "expected an integer from 1 to 65535");
	check_ignored("ipa-listen-port", "65536", "expected an integer from 1 to 65535");
	check_ignored("ipa-listen-port", "-1", "expected an integer from 1 to 65535");
	check_ignored("ipa-listen-port", "1.5", "expected an integer");
	check_ignored("ipa-listen-port", "0x10", "expected an integer");
	check_ignored("ipa-listen-port", "1__0", "expected an integer");
	check_ignored("ipa-listen-port", "_1", "expected an integer");
	check_ignored("ipa-listen-port", "1_", "expected an integer");
	check_ignored("ipa-listen-port", "99999999999999999999999", "expected an integer");
	check_ignored("ipa-advertise-port", "http", "expected an integer from 1 to 65535");
	check_ignored("ipa-lookup-timeout", "-1", "expected an integer from 0 to 2147483647");
	check_ignored("ipa-lookup-timeout", "2147483648", "expected an integer");
	check_ignored("ipa-lookup-interval", "1s", "expected an integer");
	check_ignored("ipa-disk-wait-delay", "-3", "expected an integer");
	check_ignored("ipa-hardware-initialization-delay", "ten", "expected an integer");
	check_ignored("ipa-inspection-dhcp-wait-timeout", "-60", "expected an integer");
	check_ignored("ipa-ip-lookup-attempts", "0", "expected an integer from 1 to");
	check_ignored("ipa-image-download-connection-timeout", "0", "from 1 to");
	check_ignored("ipa-image-download-connection-retries", "-1", "from 0 to");
	check_ignored("ipa-http-request-timeout", "0", "from 1 to");
	check_ignored("ipa-inject-files-priority", "100", "expected an integer from 0 to 99");
	check_ignored("ipa-lldp-timeout", "-1", "expected a number of seconds");
	check_ignored("ipa-lldp-timeout", "inf", "expected a number of seconds");
	check_ignored("ipa-lldp-timeout", "nan", "expected a number of seconds");
	check_ignored("ipa-lldp-timeout", "0x1p3", "expected a number of seconds");
	check_ignored("ipa-lldp-timeout", "1e", "expected a number of seconds");
	check_ignored("ipa-lldp-timeout", "", "expected a number of seconds");
	check_ignored("ipa-lldp-timeout", "1e100", "expected a number of seconds");

	/* Choices are exact, as oslo.config's. */
	check_ignored("ipa-advertise-protocol", "HTTPS", "expected one of http, https");
	check_ignored("ipa-advertise-protocol", "ftp", "expected one of http, https");
	check_ignored("ipa-tls-min-version", "1.1", "expected one of 1.2, 1.3");
	check_ignored("ipa-tls-certificate-curve", "p512", "expected one of p256, p384, p521");

	/* The API version: X.Y, fields after Y ignored as by IPA. */
	check_ignored("ipa-ironic-api-version", "1", "expected a version X.Y");
	check_ignored("ipa-ironic-api-version", "latest", "expected a version X.Y");
	check_ignored("ipa-ironic-api-version", "1.x", "expected a version X.Y");
	check_ignored("ipa-ironic-api-version", "1.", "expected a version X.Y");
	check_ignored("ipa-ironic-api-version", "-1.2", "expected a version X.Y");
	{
		struct agent_conf c;

		agent_conf_init_defaults(&c);
		CHECK(cmdline(&c, "ipa-ironic-api-version=1.82.3") == 0 &&
			  c.ironic_api_version.major == 1 && c.ironic_api_version.minor == 82 &&
			  !c.warnings,
		      "ipa-ironic-api-version=1.82.3 -> 1.82");
		agent_conf_done(&c);
	}
}

static void test_warning_text(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	cmdline(&c, "ipa-listen-port=abc");
	CHECK(n_warnings(&c) == 1 &&
		  strcmp(c.warnings[0],
			 "ignoring 'ipa-listen-port=abc' on the kernel command line: "
			 "expected an integer from 1 to 65535") == 0,
	      "warning text: %s", c.warnings ? c.warnings[0] : "none");
	file(&c, "# comment\n\nlisten_port = nope\n");
	CHECK(n_warnings(&c) == 2 &&
		  strcmp(c.warnings[1], "ignoring 'listen_port=nope' in 'agent.conf' line 3: "
					"expected an integer from 1 to 65535") == 0,
	      "warnings accumulate; file warning names file and line: %s",
	      n_warnings(&c) > 1 ? c.warnings[1] : "none");
	reset(&c);

	cmdline(&c, "ipa-lookup-timeout=12345678901234567890123456789012345678901234567890123456789"
		    "0123456789");
	CHECK(warned(&c, "'ipa-lookup-timeout=1234567890123456789012345678901234567890123456789012"
			 "345678901234...'"),
	      "long values are cut at 64 bytes in warnings");
	agent_conf_done(&c);
}

static void test_lists(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	CHECK(cmdline(&c, "ipa-api-url=http://a:6385,,https://b:6385/,") == 0 &&
		  strcmp(joined(c.api_urls), "http://a:6385|https://b:6385/") == 0 && !c.warnings,
	      "ipa-api-url: empty items dropped, the rest kept in order and as given");
	CHECK(cmdline(&c, "ipa-api-url=mdns") == 0 && strcmp(joined(c.api_urls), "mdns") == 0,
	      "ipa-api-url=mdns");
	CHECK(cmdline(&c, "ipa-api-url=mdns,http://a") == 0 &&
		  strcmp(joined(c.api_urls), "http://a") == 0 && warned(&c, "dropped 1 item"),
	      "ipa-api-url: mdns counts only alone, dropped with a warning among URLs");
	reset(&c);
	CHECK(cmdline(&c, "ipa-api-url=http://a,ftp://b,HTTP://c,http://") == 0 &&
		  strcmp(joined(c.api_urls), "http://a") == 0 && warned(&c, "dropped 3 item(s)"),
	      "ipa-api-url: items that are not http(s):// URLs are dropped with a warning");
	reset(&c);
	check_ignored("ipa-api-url", "ftp://a", "expected http:// or https:// URLs, or mdns");
	check_ignored("ipa-api-url", "", "expected http:// or https:// URLs");
	check_ignored("ipa-api-url", ",", "expected http:// or https:// URLs");
	check_ignored("ipa-api-url", "192.0.2.1:6385", "expected http:// or https:// URLs");

	CHECK(cmdline(&c, "\"ipa-inspection-collectors= default , logs,,extra-hardware \"") == 0 &&
		  strcmp(joined(c.inspection_collectors), "default|logs|extra-hardware") == 0,
	      "ipa-inspection-collectors: items stripped, empty ones dropped (%s)",
	      joined(c.inspection_collectors));
	CHECK(cmdline(&c, "ipa-inspection-collectors=") == 0 && !c.inspection_collectors &&
		  !c.warnings,
	      "ipa-inspection-collectors= : unset (IPA's default collectors)");
	CHECK(
	    cmdline(&c, "ipa-inspection-callback-url=http://a/v1/continue,http://b/v1/continue") ==
		    0 &&
		strcmp(joined(c.inspection_callback_urls),
		       "http://a/v1/continue|http://b/v1/continue") == 0,
	    "ipa-inspection-callback-url: a list");
	CHECK(
	    cmdline(&c, "ipa-enable-vlan-interfaces=all ipa-inspection-benchmarks=cpu,disk,mem") ==
		    0 &&
		strcmp(joined(c.enable_vlan_interfaces), "all") == 0 &&
		strcmp(joined(c.inspection_benchmarks), "cpu|disk|mem") == 0 && !c.warnings,
	    "ipa-enable-vlan-interfaces=all, ipa-inspection-benchmarks");
	agent_conf_done(&c);
}

static void test_strings_and_quotes(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	CHECK(cmdline(&c, "ipa-api-url=\"http://192.0.2.1:6385\" "
			  "\"ipa-global-request-id=req-1 2\" ipa-agent-token=\"\"") == 0 &&
		  strcmp(joined(c.api_urls), "http://192.0.2.1:6385") == 0 &&
		  strcmp(str(c.global_request_id), "req-1 2") == 0 && !c.agent_token,
	      "quotes removed as the kernel does; an empty string is unset");
	CHECK(cmdline(&c, "ipa-api-url=http://h/?a=b=c") == 0 &&
		  strcmp(joined(c.api_urls), "http://h/?a=b=c") == 0,
	      "a value keeps every '=' after the first");
	CHECK(cmdline(&c, "ipa-advertise-host=192.0.2.5 ipa-advertise-host=") == 0 &&
		  !c.advertise_host,
	      "ipa-advertise-host= after a value: unset again (automatic address)");
	CHECK(cmdline(&c, "ipa-standalone=1") == 0 && warned(&c, "'ipa-standalone=1'") &&
		  warned(&c, "ignored, as IPA has done since 7.0"),
	      "ipa-standalone: ignored with a warning");
	reset(&c);
	CHECK(cmdline(&c, "nofb vga=normal ipa-unknown=1 ipa_api_url=http://x IPA-API-URL=http://y "
			  "api_url=http://z foo") == 0 &&
		  !c.api_urls && !c.warnings,
	      "unknown keys and other spellings are ignored on the kernel command line, silently");
	agent_conf_done(&c);
}

static void test_repeated_keys(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	CHECK(cmdline(&c, "ipa-listen-port=1 ipa-listen-port=2") == 0 && c.listen_port == 2,
	      "repeated key: the last wins");
	reset(&c);
	CHECK(cmdline(&c, "ipa-listen-port=8000 ipa-listen-port=abc") == 0 &&
		  c.listen_port == 9999 && warned(&c, "ipa-listen-port=abc"),
	      "repeated key: an invalid last one is ignored, the earlier one does not come back");
	reset(&c);
	CHECK(cmdline(&c, "ipa-listen-port=abc ipa-listen-port=8000") == 0 &&
		  c.listen_port == 8000 && !c.warnings,
	      "repeated key: an invalid earlier one is never looked at");
	CHECK(cmdline(&c, "ipa-debug=1 ipa-debug") == 0 && c.debug &&
		  warned(&c, "ignoring 'ipa-debug' without a value"),
	      "a bare key is ignored (IPA keeps only key=value words)");
	reset(&c);
	CHECK(cmdline(&c, "ipa-api-url=http://a ipa-api-url=http://b,http://c") == 0 &&
		  strcmp(joined(c.api_urls), "http://b|http://c") == 0,
	      "repeated list: replaced, not appended");
	CHECK(cmdline(&c, "BOOTIF=01-52-54-00-12-34-56 BOOTIF=52:54:00:ab:cd:ef") == 0 &&
		  strcmp(str(c.bootif.text), "52:54:00:ab:cd:ef") == 0,
	      "repeated BOOTIF: the last");
	agent_conf_done(&c);
}

static void check_bootif(const char *value, const char *mac)
{
	struct agent_conf c;
	char line[128], buf[HWADDR_STR_MAX];

	agent_conf_init_defaults(&c);
	snprintf(line, sizeof(line), "BOOTIF=%s", value);
	CHECK(cmdline(&c, line) == 0 && strcmp(str(c.bootif.text), value) == 0 &&
		  c.bootif.has_mac == (mac != NULL) &&
		  (!mac || strcmp(hwaddr_format(&c.bootif.mac, buf), mac) == 0) &&
		  (n_warnings(&c) == 0) == (mac != NULL),
	      "BOOTIF=%s: text kept, %s%s", value, mac ? "MAC " : "no MAC, a warning",
	      mac ? mac : "");
	agent_conf_done(&c);
}

static void test_bootif(void)
{
	check_bootif("01-52-54-00-12-34-56", "52:54:00:12:34:56"); /* PXELINUX ipappend 2 */
	check_bootif("01-AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff");
	check_bootif("52:54:00:12:34:56", "52:54:00:12:34:56"); /* iPXE ${mac} */
	check_bootif("52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef");
	check_bootif("52-54-00-12-34-56", "52:54:00:12:34:56");
	check_bootif("20-80-00-02-08-fe-80-00-00-00-00-00-00-00-02-c9-03-00-01-02-03", NULL);
	check_bootif("${mac}", NULL); /* a template that was not expanded */
	check_bootif("", NULL);
	check_bootif("01-52-54-00-12-34", "01:52:54:00:12:34");
}

static void test_precedence(void)
{
	char *argv_port[] = {"ingot-agent", "--listen-port=3000"};
	struct agent_conf c;
	char path[] = "test-agent-conf-XXXXXX";
	int fd, r;

	/* In order: defaults < file < kernel command line < argv. */
	agent_conf_init_defaults(&c);
	CHECK(file(&c, "listen_port=1000\nadvertise_port=1001\nlookup_timeout=100\n") == 0 &&
		  c.listen_port == 1000 &&
		  agent_conf_source_of(&c, "ipa-listen-port") == AGENT_CONF_SOURCE_FILE,
	      "file over defaults");
	CHECK(cmdline(&c, "ipa-listen-port=2000 ipa-advertise-port=2001") == 0 &&
		  c.listen_port == 2000 && c.advertise_port == 2001 && c.lookup_timeout == 100,
	      "kernel command line over file; file values it does not name stay");
	CHECK(agent_conf_from_argv(&c, 2, argv_port) == 0 && c.listen_port == 3000 &&
		  c.advertise_port == 2001 &&
		  agent_conf_source_of(&c, "ipa-listen-port") == AGENT_CONF_SOURCE_ARGV,
	      "argv over kernel command line");
	CHECK(cmdline(&c, "ipa-listen-port=abc ipa-advertise-port=http") == 0 &&
		  c.listen_port == 3000 && c.advertise_port == 2001 && n_warnings(&c) == 2,
	      "an invalid value keeps what lower sources set");

	/* Reversed calls: the same result. */
	reset(&c);
	CHECK(agent_conf_from_argv(&c, 2, argv_port) == 0 &&
		  cmdline(&c, "ipa-listen-port=2000 ipa-advertise-port=2001") == 0 &&
		  file(&c, "listen_port=1000\nadvertise_port=1001\nlookup_timeout=100\n") == 0 &&
		  c.listen_port == 3000 && c.advertise_port == 2001 && c.lookup_timeout == 100,
	      "precedence does not depend on the order of the calls");

	/* The same source twice: the later call wins (parameters.txt after /proc/cmdline). */
	reset(&c);
	CHECK(cmdline(&c, "boot_method=vmedia ipa-api-url=http://a ipa-debug=1") == 0 &&
		  cmdline(&c, "ipa-api-url=http://b ipa-agent-token=tok") == 0 &&
		  strcmp(joined(c.api_urls), "http://b") == 0 && c.debug &&
		  strcmp(str(c.agent_token), "tok") == 0,
	      "virtual media parameters.txt applied after the kernel command line overrides it");

	/* From a real file. */
	reset(&c);
	fd = mkstemp(path);
	r = fd < 0 ? -errno : 0;
	if (fd >= 0) {
		static const char text[] = "api_url=http://file:6385\nipa_insecure=yes\n";

		r = write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1) ? 0 : -EIO;
		close(fd);
	}
	CHECK(r == 0 && agent_conf_from_file(&c, path) == 0 &&
		  strcmp(joined(c.api_urls), "http://file:6385") == 0 && c.insecure,
	      "agent_conf_from_file() reads a file");
	if (fd >= 0)
		unlink(path);
	CHECK(agent_conf_from_file(&c, "does-not-exist.conf") == -ENOENT && !c.warnings,
	      "missing file: -ENOENT, no warning");
	agent_conf_done(&c);
}

static void test_file(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	CHECK(file(&c, "# built into the image\n"
		       "api_url=http://a:6385\n"
		       "ipa_global_request_id = 'req-1'\n"
		       "BOOTIF=\"01-52-54-00-12-34-56\"\n"
		       "boot_method=vmedia # note\n"
		       "guard_special_filesystems=false\n"
		       "ipa_guard_special_filesystems=true\n"
		       "debug=on\n") == 0 &&
		  strcmp(joined(c.api_urls), "http://a:6385") == 0 &&
		  strcmp(str(c.global_request_id), "req-1") == 0 && c.bootif.has_mac &&
		  strcmp(str(c.boot_method), "vmedia") == 0 && c.guard_special_filesystems &&
		  c.debug && !c.warnings,
	      "file: option names and keys with '_', quotes, comments; last spelling wins");
	CHECK(file(&c, "standalone=1\nlisten_port=1\n") == 0 && c.listen_port == 1 &&
		  warned(&c, "ignoring unknown key 'standalone' in 'agent.conf' line 1"),
	      "file: unknown key ignored with a warning");
	reset(&c);
	CHECK(file(&c, "listen_port=5\nipa-listen-port=6\n") == -EINVAL && c.listen_port == 9999 &&
		  warned(&c, "refusing 'agent.conf': syntax error in line 2"),
	      "file: a syntax error (no '-' in keys) applies nothing");
	agent_conf_done(&c);
}

static void test_argv(void)
{
	struct agent_conf c;

	agent_conf_init_defaults(&c);
	CHECK(ARGV(&c, "--api-url=http://a:6385", "--listen_port", "1234", "--insecure", "-d",
		   "--advertise-host", "192.0.2.9", "--guard-special-filesystems=no",
		   "--lldp-timeout", "0.5") == 0 &&
		  strcmp(joined(c.api_urls), "http://a:6385") == 0 && c.listen_port == 1234 &&
		  c.insecure && c.debug && strcmp(str(c.advertise_host), "192.0.2.9") == 0 &&
		  !c.guard_special_filesystems && c.lldp_timeout_ms == 500 && !c.warnings,
	      "argv: --name=value, --name value, '-' or '_', flags, -d");
	CHECK(ARGV(&c, "--noinsecure", "--no-debug", "--") == 0 && !c.insecure && !c.debug,
	      "argv: --noinsecure, --no-debug, a final --");
	CHECK(ARGV(&c, "--insecure=true", "--debug=0") == 0 && c.insecure && !c.debug,
	      "argv: --flag=value");
	reset(&c);
	CHECK(ARGV(&c, "--listen-port=1", "--bogus=1") == -EINVAL && c.listen_port == 9999 &&
		  warned(&c, "unknown option '--bogus'"),
	      "argv: unknown option -EINVAL, nothing applied");
	reset(&c);
	CHECK(ARGV(&c, "--listen-port", "0") == -EINVAL && c.listen_port == 9999 &&
		  warned(&c, "refusing '--listen-port=0' on the command line: expected an integer"),
	      "argv: invalid value -EINVAL");
	reset(&c);
	CHECK(ARGV(&c, "--api-url=http://a,ftp://b") == -EINVAL && !c.api_urls &&
		  ARGV(&c, "--debug=maybe") == -EINVAL && !c.debug &&
		  warned(&c, "refusing '--debug=maybe' on the command line: not a boolean"),
	      "argv: what would be a warning elsewhere is -EINVAL");
	reset(&c);
	CHECK(ARGV(&c, "--api-url") == -EINVAL && warned(&c, "option '--api-url' needs a value"),
	      "argv: missing value -EINVAL");
	reset(&c);
	CHECK(ARGV(&c, "http://a") == -EINVAL && warned(&c, "unexpected argument 'http://a'"),
	      "argv: a non-option -EINVAL");
	reset(&c);
	CHECK(ARGV(&c, "--", "--insecure") == -EINVAL && !c.insecure,
	      "argv: anything after -- is an argument, -EINVAL");
	reset(&c);
	CHECK(ARGV(&c, "--BOOTIF=52:54:00:12:34:56") == -EINVAL &&
		  ARGV(&c, "--boot-method=vmedia") == -EINVAL && ARGV(&c, "-x") == -EINVAL &&
		  ARGV(&c, "--help") == -EINVAL && ARGV(&c, "--nolisten-port") == -EINVAL,
	      "argv: kernel-only parameters, -x, --help, --no on a non-flag: -EINVAL");
	reset(&c);
	CHECK(ARGV(&c, "--insecure", "--agent-token-required", "--use-mdns",
		   "--inspection-dhcp-all-interfaces", "--collect-lldp",
		   "--ignore-bootloader-failure", "--tls-min-version", "1.3") == 0 &&
		  c.insecure && c.agent_token_required && c.use_mdns &&
		  c.inspection_dhcp_all_interfaces && c.collect_lldp &&
		  c.ignore_bootloader_failure && c.tls_min_version == AGENT_TLS_1_3,
	      "argv: every flag");
	agent_conf_done(&c);
}

/* IPA's static TLS options: file and argv only, by option name (config.py: "intentionally not
 * settable via kernel command line"). */
static void test_static_tls(void)
{
	struct agent_conf c;
	char path[AGENT_CONF_PATH_MAX + 2];

	agent_conf_init_defaults(&c);
	CHECK(!c.listen_tls && !c.tls_cert_file && !c.tls_key_file && c.enable_auto_tls,
	      "static TLS defaults: listen_tls false, no files, enable_auto_tls true");
	CHECK(agent_conf_source_of(&c, "listen_tls") == AGENT_CONF_SOURCE_DEFAULT &&
		  agent_conf_source_of(&c, "tls_cert_file") == AGENT_CONF_SOURCE_DEFAULT,
	      "static TLS: source by option name");

	CHECK(cmdline(&c, "listen_tls=1 ipa-listen-tls=1 ipa_listen_tls=1 tls_cert_file=/a "
			  "ipa-tls-cert-file=/a enable_auto_tls=0 ipa-enable-auto-tls=0") == 0 &&
		  !c.listen_tls && !c.tls_cert_file && c.enable_auto_tls && !c.warnings,
	      "static TLS: not taken from the kernel command line, silently as IPA");

	CHECK(file(&c, "listen_tls=true\n"
		       "tls_cert_file=/etc/ingot/tls/agent.crt\n"
		       "tls_key_file = '/etc/ingot/tls/agent.key'\n"
		       "enable_auto_tls=no\n") == 0 &&
		  c.listen_tls && strcmp(str(c.tls_cert_file), "/etc/ingot/tls/agent.crt") == 0 &&
		  strcmp(str(c.tls_key_file), "/etc/ingot/tls/agent.key") == 0 &&
		  !c.enable_auto_tls && !c.warnings &&
		  agent_conf_source_of(&c, "listen_tls") == AGENT_CONF_SOURCE_FILE,
	      "static TLS: the file takes the option names");
	CHECK(cmdline(&c, "ipa-listen-port=443") == 0 && c.listen_tls && c.tls_cert_file,
	      "static TLS: a kernel command line leaves the file's values");
	reset(&c);
	CHECK(file(&c, "ipa_listen_tls=1\nssl_cert_file=/x\n") == 0 && !c.listen_tls &&
		  !c.tls_cert_file && warned(&c, "ignoring unknown key 'ipa_listen_tls'") &&
		  warned(&c, "ignoring unknown key 'ssl_cert_file'"),
	      "static TLS: no ipa_ spelling in the file, unknown keys warned about");
	reset(&c);
	CHECK(file(&c, "listen_tls=maybe\ntls_cert_file=\n") == 0 && !c.listen_tls &&
		  !c.tls_cert_file && warned(&c, "ignoring 'listen_tls=maybe'"),
	      "static TLS: an invalid boolean is ignored, an empty path is unset");

	reset(&c);
	CHECK(
	    ARGV(&c, "--listen-tls", "--tls-cert-file", "/srv/cert.pem",
		 "--tls_key_file=/srv/key.pem", "--noenable-auto-tls") == 0 &&
		c.listen_tls && strcmp(str(c.tls_cert_file), "/srv/cert.pem") == 0 &&
		strcmp(str(c.tls_key_file), "/srv/key.pem") == 0 && !c.enable_auto_tls &&
		agent_conf_source_of(&c, "tls_key_file") == AGENT_CONF_SOURCE_ARGV,
	    "static TLS: argv --listen-tls, --tls-cert-file, --tls_key_file, --noenable-auto-tls");
	CHECK(ARGV(&c, "--nolisten_tls", "--enable_auto_tls=yes") == 0 && !c.listen_tls &&
		  c.enable_auto_tls,
	      "static TLS: --nolisten_tls, --enable_auto_tls=yes");
	CHECK(ARGV(&c, "--listen-tls=perhaps") == -EINVAL && !c.listen_tls,
	      "static TLS: --listen-tls=perhaps -EINVAL");

	reset(&c);
	memset(path, 'p', AGENT_CONF_PATH_MAX + 1);
	path[0] = '/';
	path[AGENT_CONF_PATH_MAX + 1] = '\0';
	CHECK(ARGV(&c, "--tls-cert-file", path) == -E2BIG && !c.tls_cert_file,
	      "static TLS: a path over %u bytes -E2BIG", AGENT_CONF_PATH_MAX);
	path[AGENT_CONF_PATH_MAX] = '\0';
	CHECK(ARGV(&c, "--tls-cert-file", path) == 0 && c.tls_cert_file &&
		  strlen(c.tls_cert_file) == AGENT_CONF_PATH_MAX,
	      "static TLS: a path of %u bytes taken", AGENT_CONF_PATH_MAX);
	agent_conf_done(&c);
}

static void test_limits(void)
{
	struct agent_conf c;
	char line[CMDLINE_MAX + CONF_LINE_MAX], value[AGENT_CONF_CIPHERS_MAX + 2];

	agent_conf_init_defaults(&c);

	memset(value, 'a', AGENT_CONF_STRING_MAX + 1);
	value[AGENT_CONF_STRING_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "ipa-listen-port=1 ipa-agent-token=%s", value);
	CHECK(cmdline(&c, line) == -E2BIG && !c.agent_token && c.listen_port == 9999 &&
		  warned(&c, "refusing 'ipa-agent-token' on the kernel command line: longer than "
			     "255 bytes"),
	      "ipa-agent-token of 256 bytes: -E2BIG, nothing of the line applied");
	reset(&c);
	value[AGENT_CONF_STRING_MAX] = '\0';
	snprintf(line, sizeof(line), "ipa-agent-token=%s", value);
	CHECK(cmdline(&c, line) == 0 && c.agent_token && strlen(c.agent_token) == 255,
	      "ipa-agent-token of 255 bytes: taken");

	strcpy(line, "ipa-api-url=http://");
	memset(line + strlen(line), 'h', AGENT_CONF_URL_MAX - 7);
	line[strlen("ipa-api-url=") + AGENT_CONF_URL_MAX] = '\0';
	CHECK(cmdline(&c, line) == 0 && strlen(c.api_urls[0]) == AGENT_CONF_URL_MAX,
	      "a URL of 2048 bytes: taken");
	strcat(line, "h");
	CHECK(cmdline(&c, line) == -E2BIG && strlen(c.api_urls[0]) == AGENT_CONF_URL_MAX &&
		  warned(&c, "an item is longer than 2048 bytes"),
	      "a URL of 2049 bytes: -E2BIG, the earlier value stays");
	reset(&c);

	strcpy(line, "ipa-inspection-collectors=c");
	for (int i = 1; i < AGENT_CONF_LIST_MAX; i++)
		strcat(line, ",c");
	CHECK(cmdline(&c, line) == 0 && strv_length(c.inspection_collectors) == AGENT_CONF_LIST_MAX,
	      "a list of 32 items: taken");
	strcat(line, ",c");
	CHECK(cmdline(&c, line) == -E2BIG && warned(&c, "more than 32 items"),
	      "a list of 33 items: -E2BIG");
	reset(&c);

	CHECK(cmdline(&c, "ipa-network-interface=enp0s31f6abcdef") == 0 &&
		  strcmp(str(c.network_interface), "enp0s31f6abcdef") == 0,
	      "ipa-network-interface of 15 bytes: taken");
	CHECK(cmdline(&c, "ipa-network-interface=enp0s31f6abcdefg") == -E2BIG &&
		  warned(&c, "longer than 15 bytes"),
	      "ipa-network-interface of 16 bytes: -E2BIG");
	reset(&c);

	memset(value, 'C', AGENT_CONF_CIPHERS_MAX + 1);
	value[AGENT_CONF_CIPHERS_MAX] = '\0';
	snprintf(line, sizeof(line), "ipa-tls-cipher-suites=%s", value);
	CHECK(cmdline(&c, line) == 0 && strlen(str(c.tls_cipher_suites)) == 1024,
	      "ipa-tls-cipher-suites of 1024 bytes: taken");
	value[AGENT_CONF_CIPHERS_MAX] = 'C';
	value[AGENT_CONF_CIPHERS_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "ipa-tls-cipher-suites=%s", value);
	CHECK(cmdline(&c, line) == -E2BIG, "ipa-tls-cipher-suites of 1025 bytes: -E2BIG");
	reset(&c);

	memset(line, ' ', CMDLINE_MAX + 1);
	memcpy(line, "ipa-debug=1", 11);
	line[CMDLINE_MAX + 1] = '\0';
	CHECK(cmdline(&c, line) == -E2BIG && !c.debug &&
		  warned(&c, "refusing the kernel command line: longer than 4096 bytes"),
	      "a kernel command line over CMDLINE_MAX: -E2BIG");
	line[CMDLINE_MAX] = '\0';
	reset(&c);
	CHECK(cmdline(&c, line) == 0 && c.debug, "a kernel command line of CMDLINE_MAX: taken");
	reset(&c);

	CHECK(ARGV(&c, "--agent-token", value) == -E2BIG && !c.agent_token,
	      "argv: an over-long value -E2BIG");
	reset(&c);

	memset(line, 'x', CONF_LINE_MAX + 1);
	memcpy(line, "boot_method=", 12);
	line[CONF_LINE_MAX + 1] = '\0';
	CHECK(file(&c, line) == -E2BIG && warned(&c, "line 1 is longer than 4096 bytes"),
	      "file: a line over CONF_LINE_MAX: -E2BIG");
	reset(&c);
	snprintf(line, sizeof(line), "boot_method=%s\n", value);
	CHECK(
	    file(&c, line) == -E2BIG && !c.boot_method &&
		warned(&c, "refusing 'boot_method' in 'agent.conf' line 1: longer than 255 bytes"),
	    "file: an over-long value -E2BIG");
	agent_conf_done(&c);
}

static void test_real_command_lines(void)
{
	struct agent_conf c;
	char mac[HWADDR_STR_MAX];

	/* The typical PXE line. */
	agent_conf_init_defaults(&c);
	CHECK(cmdline(&c, "BOOTIF=01-52-54-00-12-34-56 ipa-api-url=http://10.0.2.2:6385 "
			  "ipa-insecure=1 ipa-debug=1 console=ttyS0\n") == 0 &&
		  strcmp(joined(c.api_urls), "http://10.0.2.2:6385") == 0 && c.insecure &&
		  c.debug && c.bootif.has_mac &&
		  strcmp(hwaddr_format(&c.bootif.mac, mac), "52:54:00:12:34:56") == 0 &&
		  c.listen_port == 9999 && !c.warnings,
	      "PXE: BOOTIF, API URL, insecure, debug; console= ignored");
	reset(&c);

	/* Ironic's ipxe_config.template after iPXE expanded ${mac} (a deploy seen in the wild). */
	CHECK(cmdline(&c, "selinux=0 troubleshoot=0 text nofb nomodeset vga=normal console=tty0 "
			  "console=ttyS0,115200n8 ipa-api-url=http://10.30.2.91:6385 "
			  "ipa-global-request-id=req-24f82dcf-268d-48b1-b6a7-f3b601ae1733 "
			  "BOOTIF=52:54:00:6b:2a:10 initrd=deploy_ramdisk\n") == 0 &&
		  strcmp(joined(c.api_urls), "http://10.30.2.91:6385") == 0 &&
		  strcmp(str(c.global_request_id), "req-24f82dcf-268d-48b1-b6a7-f3b601ae1733") ==
		      0 &&
		  c.bootif.has_mac && !c.insecure && !c.debug && !c.warnings,
	      "Ironic iPXE deploy line");
	reset(&c);

	/* PXELINUX with ipappend 3: ip= and BOOTIF= appended, BOOT_IMAGE= from the loader. */
	CHECK(cmdline(&c, "BOOT_IMAGE=deploy_kernel selinux=0 troubleshoot=0 text nofb nomodeset "
			  "vga=normal ipa-api-url=http://192.0.2.1:6385 ipa-debug=1 "
			  "initrd=deploy_ramdisk "
			  "ip=192.0.2.50:192.0.2.1:192.0.2.1:255.255.255.0 "
			  "BOOTIF=01-52-54-00-ab-cd-ef\n") == 0 &&
		  c.bootif.has_mac && strcmp(str(c.bootif.text), "01-52-54-00-ab-cd-ef") == 0 &&
		  c.debug && !c.warnings,
	      "PXELINUX ipappend 3 line");
	reset(&c);

	/* ironic-inspector's inspector.ipxe as TripleO and metal3 ship it. */
	CHECK(cmdline(&c, "ipa-inspection-callback-url=http://192.0.2.1:5050/v1/continue "
			  "ipa-inspection-collectors=default,extra-hardware,logs "
			  "systemd.journald.forward_to_console=yes BOOTIF=52:54:00:12:34:56 "
			  "ipa-debug=1 ipa-inspection-dhcp-all-interfaces=1 ipa-collect-lldp=1 "
			  "initrd=agent.ramdisk\n") == 0 &&
		  strcmp(joined(c.inspection_callback_urls), "http://192.0.2.1:5050/v1/continue") ==
		      0 &&
		  strcmp(joined(c.inspection_collectors), "default|extra-hardware|logs") == 0 &&
		  c.inspection_dhcp_all_interfaces && c.collect_lldp && !c.api_urls && !c.warnings,
	      "inspector iPXE line");
	reset(&c);

	/* The QEMU lab: the host is 10.0.2.2, the agent port forwarded to 127.0.0.1. */
	CHECK(cmdline(&c,
		      "console=ttyS0 ipa-api-url=http://10.0.2.2:6385 "
		      "ipa-advertise-host=127.0.0.1 ipa-insecure=1 ipa-lookup-timeout=60\n") == 0 &&
		  strcmp(str(c.advertise_host), "127.0.0.1") == 0 && c.advertise_port == 9999 &&
		  c.lookup_timeout == 60,
	      "QEMU lab line");
	reset(&c);

	/* Redfish virtual media: token on the command line, the rest in parameters.txt. */
	CHECK(cmdline(&c, "nofb nomodeset vga=normal ipa-debug=1 boot_method=vmedia "
			  "ipa-agent-token=rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU\n") == 0 &&
		  cmdline(&c, "ipa-api-url=https://192.0.2.1:6385 BOOTIF=52:54:00:12:34:56\n") ==
		      0 &&
		  strcmp(str(c.boot_method), "vmedia") == 0 && c.agent_token &&
		  strcmp(joined(c.api_urls), "https://192.0.2.1:6385") == 0 && c.bootif.has_mac,
	      "virtual media line plus parameters.txt");
	agent_conf_done(&c);
}

int main(void)
{
	test_defaults();
	test_every_parameter();
	test_booleans();
	test_integers();
	test_warning_text();
	test_lists();
	test_strings_and_quotes();
	test_repeated_keys();
	test_bootif();
	test_precedence();
	test_file();
	test_argv();
	test_static_tls();
	test_limits();
	test_real_command_lines();
	return failures ? 1 : 0;
}
