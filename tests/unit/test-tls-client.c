#define _GNU_SOURCE 1 /* asprintf() */
/*
 * The agent as a TLS client (agent/http.h, agent/ca.h): against tests/unit/data/ironic-stub.py
 * serving HTTPS on loopback with a throwaway CA made at test time (data/make-test-ca.sh, the
 * openssl command line): verified with the right CA bundle, refused with another CA (curl's
 * reason in the error and the log), a host name the certificate does not name refused and the
 * next API URL tried, ipa-insecure with a warning at every request, the cipher list reaching
 * curl; and the bundle made from a root's etc/ingot/ca/\*.pem with good, bad and non-PEM files.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/ca.h"
#include "agent/http.h"
#include "agent/ironic.h"
#include "agent/log.h"
#include "basic/fileio.h"
#include "test.h"

static char tmp[] = "/tmp/ingot-test-tls.XXXXXX";
static char data_dir[4096];

static char *path_in(const char *name)
{
	static char buf[4][4200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

static char *read_text(const char *path)
{
	char *text = NULL;

	if (read_full_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

/* The log written since *mark (a length of the ring), and moves *mark to its end. */
static char *log_since(size_t *mark)
{
	size_t len = 0;
	char *all = log_ring_dup(&len), *out;

	if (!all)
		return strdup("");
	out = strdup(len >= *mark ? all + *mark : all);
	*mark = len;
	free(all);
	return out;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static pid_t server_pid = -1;
static int server_stdin = -1;

static int server_start(const char *cert, const char *key)
{
	int in[2], out[2];
	char script[4200], port[16] = "";
	ssize_t n = 0;

	snprintf(script, sizeof(script), "%s/ironic-stub.py", data_dir);
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("python3", "python3", script, "normal", "--tls", cert, key, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	server_stdin = in[1];
	while ((size_t)n < sizeof(port) - 1 && !strchr(port, '\n')) {
		ssize_t k = read(out[0], port + n, sizeof(port) - 1 - (size_t)n);

		if (k <= 0)
			break;
		n += k;
	}
	close(out[0]);
	return n > 0 ? atoi(port) : -1;
}

static void server_stop(void)
{
	if (server_stdin >= 0)
		close(server_stdin);
	if (server_pid > 0)
		waitpid(server_pid, NULL, 0);
}

static int get(const char *url, struct http_response *resp)
{
	return http_request(
	    &(struct http_request){
		.method = "GET", .url = url, .timeout_s = 20, .max_body = 1 << 20},
	    resp);
}

static void test_pem(void)
{
	_cleanup_free_ char *ca = read_text(path_in("ca.pem"));
	_cleanup_free_ char *key = read_text(path_in("ca.key"));
	_cleanup_free_ char *two = NULL, *broken = NULL;
	const char *why = NULL;

	CHECK(ca && ca_pem_count(ca, strlen(ca), &why) == 1, "the test CA: 1 certificate");
	CHECK(asprintf(&two, "subject=CN = x\n%s\r\n# comment\n%s", ca, ca) > 0 &&
		  ca_pem_count(two, strlen(two), &why) == 2,
	      "text around and between the blocks is allowed: 2 certificates");
	why = NULL;
	CHECK(ca_pem_count("hello\n", 6, &why) == -EBADMSG && why && strstr(why, "no PEM"),
	      "plain text: %s", why);
	why = NULL;
	CHECK(key && ca_pem_count(key, strlen(key), &why) == -EBADMSG && why &&
		  strstr(why, "not a certificate"),
	      "a private key: %s", why);
	broken = ca ? strdup(ca) : NULL;
	if (broken)
		broken[strlen(broken) / 2] = '#'; /* not base64 */
	why = NULL;
	CHECK(broken && ca_pem_count(broken, strlen(broken), &why) == -EBADMSG && why &&
		  strstr(why, "does not decode"),
	      "a damaged certificate: %s", why);
	const char fake[] = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n"
			    "-----END CERTIFICATE-----\n";
	why = NULL;
	CHECK(ca_pem_count(fake, strlen(fake), &why) == -EBADMSG,
	      "base64 that is not DER X.509: refused");
	const char cut[] = "-----BEGIN CERTIFICATE-----\nMIIB\n";
	why = NULL;
	CHECK(ca_pem_count(cut, strlen(cut), &why) == -EBADMSG && why && strstr(why, "END"),
	      "no END line: %s", why);
}

static void test_bundle(void)
{
	_cleanup_free_ char *ca = read_text(path_in("ca.pem"));
	_cleanup_free_ char *wrong = read_text(path_in("wrong-ca.pem"));
	_cleanup_free_ char *key = read_text(path_in("ca.key"));
	_cleanup_free_ char *bundle = NULL, *log = NULL, *expect = NULL, *big = NULL;
	size_t mark = 0;
	int root_fd, r;

	free(log_since(&mark));
	mkdir(path_in("root"), 0755);
	root_fd = open(path_in("root"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(root_fd >= 0 && ca_bundle_build(root_fd) == 0 &&
		  faccessat(root_fd, CA_BUNDLE, F_OK, 0) < 0,
	      "no /etc/ingot/ca: no bundle, 0");

	mkdir(path_in("root/etc"), 0755);
	mkdir(path_in("root/etc/ingot"), 0755);
	mkdir(path_in("root/etc/ingot/ca"), 0755);
	mkdir(path_in("root/etc/ingot/ca/dir.pem"), 0755);
	write_text(path_in("root/etc/ingot/ca/b-build.pem"), ca ? ca : "");
	write_text(path_in("root/etc/ingot/ca/a-text.pem"), "not a certificate\n");
	write_text(path_in("root/etc/ingot/ca/c-key.pem"), key ? key : "");
	write_text(path_in("root/etc/ingot/ca/d-bad.pem"),
		   "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n");
	write_text(path_in("root/etc/ingot/ca/notes.txt"), ca ? ca : "");
	write_text(path_in("root/etc/ingot/ca/z-operator.pem"), wrong ? wrong : "");
	big = malloc(CA_FILE_MAX + 2);
	if (big) {
		memset(big, 'x', CA_FILE_MAX + 1);
		big[CA_FILE_MAX + 1] = '\0';
		write_text(path_in("root/etc/ingot/ca/e-big.pem"), big);
	}
	if (symlink(path_in("ca.pem"), path_in("root/etc/ingot/ca/f-link.pem")) < 0)
		perror("symlink");

	r = ca_bundle_build(root_fd);
	bundle = read_text(path_in("root/" CA_BUNDLE));
	CHECK(r == 2, "bundle: 2 certificates (%d)", r);
	CHECK(asprintf(&expect, "%s%s", ca ? ca : "", wrong ? wrong : "") > 0 && bundle &&
		  strcmp(bundle, expect) == 0,
	      "bundle: b-build.pem then z-operator.pem, in name order, nothing else");
	log = log_since(&mark);
	CHECK(strstr(log, "/etc/ingot/ca/a-text.pem skipped: holds no PEM certificate") &&
		  strstr(log, "/etc/ingot/ca/c-key.pem skipped: holds a PEM block that is not a "
			      "certificate") &&
		  strstr(log, "/etc/ingot/ca/d-bad.pem skipped: has a certificate that does not "
			      "decode") &&
		  strstr(log, "/etc/ingot/ca/dir.pem skipped: not a regular file") &&
		  strstr(log, "/etc/ingot/ca/e-big.pem skipped: larger than 1048576 bytes") &&
		  strstr(log, "/etc/ingot/ca/f-link.pem skipped: not a regular file") &&
		  !strstr(log, "notes.txt") &&
		  strstr(log, "CA bundle /run/ingot/ca-bundle.pem: 2 certificates from 2 files"),
	      "the log names every file skipped and why, and the bundle");
	if (failures)
		printf("%s", log);

	/* All bad: no bundle, and none left from the start before. */
	unlink(path_in("root/etc/ingot/ca/b-build.pem"));
	unlink(path_in("root/etc/ingot/ca/z-operator.pem"));
	CHECK(ca_bundle_build(root_fd) == 0 && faccessat(root_fd, CA_BUNDLE, F_OK, 0) < 0,
	      "only bad files: 0, the earlier bundle removed");
	close(root_fd);
}

static void test_connections(void)
{
	char url[128], url_host[128], *urls[3];
	_cleanup_free_ char *log = NULL;
	struct http_response resp;
	struct ironic_client *c;
	struct ironic_version v;
	size_t mark = 0;
	int port, r;

	port = server_start(path_in("server.pem"), path_in("server.key"));
	if (port <= 0) {
		printf("SKIP connections: python3 HTTPS stand-in did not start\n");
		return;
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	free(log_since(&mark));

	/* The right CA. */
	http_tls_set(&(struct http_tls){.ca_file = path_in("ca.pem")});
	r = get(url, &resp);
	CHECK(r == 0 && resp.status == 200 && resp.body && strstr(resp.body, "1.82"),
	      "verified against the test CA: 200 (%d %ld %s)", r, resp.status, resp.error);
	http_response_done(&resp);

	/* The same, TLS 1.3 only, and with a TLS 1.2 cipher list. */
	http_tls_set(&(struct http_tls){.ca_file = path_in("ca.pem"), .tls13 = true});
	r = get(url, &resp);
	CHECK(r == 0 && resp.status == 200, "ipa-tls-min-version=1.3: 200 (%s)", resp.error);
	http_response_done(&resp);
	http_tls_set(&(struct http_tls){.ca_file = path_in("ca.pem"),
					.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"});
	r = get(url, &resp);
	CHECK(r == 0 && resp.status == 200, "a cipher list: 200 (%s)", resp.error);
	http_response_done(&resp);
	http_tls_set(&(struct http_tls){.ca_file = path_in("ca.pem"), .ciphers = "NO-SUCH-SUITE"});
	r = get(url, &resp);
	CHECK(r < 0 && strstr(resp.error, "cipher"), "an unknown suite reaches curl and fails: %s",
	      resp.error);
	http_response_done(&resp);

	/* Another CA: refused, with curl's reason. */
	http_tls_set(&(struct http_tls){.ca_file = path_in("wrong-ca.pem")});
	r = get(url, &resp);
	CHECK(r == -EPROTO && strstr(resp.error, "certificate"), "another CA: refused: %s",
	      resp.error);
	http_response_done(&resp);

	/* Through the Ironic client: the refusal is logged with its reason, and a URL whose
	 * host name the certificate does not name (localhost; its SAN is 127.0.0.1) moves on. */
	snprintf(url_host, sizeof(url_host), "https://localhost:%d", port);
	urls[0] = url_host;
	urls[1] = url;
	urls[2] = NULL;
	http_tls_set(&(struct http_tls){.ca_file = path_in("ca.pem")});
	c = ironic_client_new(&(struct ironic_client_options){.api_urls = urls, .timeout_s = 20});
	v = c ? ironic_client_discover(c) : IRONIC_VERSION_FALLBACK;
	log = log_since(&mark);
	CHECK(v.major == 1 && v.minor == 82,
	      "a host name not in the certificate: refused, the next URL answers (1.%u)", v.minor);
	CHECK(strstr(log, "Ironic API at https://localhost:") != NULL,
	      "the refused URL is logged with why");
	ironic_client_free(c);
	free(log);
	http_tls_set(&(struct http_tls){.ca_file = path_in("wrong-ca.pem")});
	c = ironic_client_new(&(struct ironic_client_options){.api_urls = urls + 1});
	v = c ? ironic_client_discover(c) : IRONIC_VERSION_FALLBACK;
	log = log_since(&mark);
	CHECK(v.minor == IRONIC_VERSION_FALLBACK.minor && strstr(log, "SSL certificate problem"),
	      "another CA: discovery fails and the log says why");
	if (!strstr(log, "SSL certificate problem"))
		printf("%s", log);
	ironic_client_free(c);
	free(log);

	/* ipa-insecure: goes through, a warning at every request. */
	http_tls_set(&(struct http_tls){.ca_file = path_in("wrong-ca.pem"), .insecure = true});
	for (int i = 0; i < 2; i++) {
		r = get(url, &resp);
		CHECK(r == 0 && resp.status == 200, "ipa-insecure: 200 despite another CA (%s)",
		      resp.error);
		http_response_done(&resp);
	}
	log = log_since(&mark);
	CHECK(count(log, "ipa-insecure: the TLS certificate of https://127.0.0.1:") == 2,
	      "ipa-insecure: a warning at each of the 2 requests");
	free(log);
	http_tls_set(&(struct http_tls){.ca_file = path_in("ca.pem")});
	r = http_request(&(struct http_request){.method = "GET",
						.url = url,
						.insecure = true,
						.timeout_s = 20,
						.max_body = 1 << 20},
			 &resp);
	log = log_since(&mark);
	CHECK(r == 0 && count(log, "ipa-insecure") == 1,
	      "insecure on the request alone: warned as well");
	http_response_done(&resp);
	free(log);

	/* No CA at all: libcurl's default store (the host's), which does not know the test CA;
	 * the note comes once, at the first https URL. */
	http_tls_set(&(struct http_tls){0});
	for (int i = 0; i < 2; i++) {
		r = get(url, &resp);
		CHECK(r < 0, "no CA bundle: the host's store does not know the test CA (%s)",
		      resp.error);
		http_response_done(&resp);
	}
	log = log_since(&mark);
	CHECK(count(log, "no CA bundle in /etc/ingot/ca") == 1, "no CA bundle: said once");
	server_stop();
}

int main(void)
{
	char file[4096], cmd[8400];

	log_set_quiet(true);
	snprintf(file, sizeof(file), "%s", __FILE__);
	snprintf(data_dir, sizeof(data_dir), "%s/data", dirname(file));
	if (system("command -v openssl >/dev/null && command -v python3 >/dev/null") != 0) {
		printf("SKIP: openssl or python3 not found\n");
		return 77;
	}
	if (!mkdtemp(tmp))
		return 1;
	snprintf(cmd, sizeof(cmd), "sh %s/make-test-ca.sh %s", data_dir, tmp);
	if (system(cmd) != 0) {
		printf("SKIP: the test CA could not be made (openssl)\n");
		return 77;
	}
	if (http_global_init() < 0)
		return 1;
	test_pem();
	test_bundle();
	test_connections();
	http_tls_set(&(struct http_tls){0});
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		printf("note: %s left behind\n", tmp);
	return failures ? 1 : 0;
}
