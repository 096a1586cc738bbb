/* sources: src/agent/ironic.c src/agent/http.c src/agent/log.c src/basic/strv.c */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/ironic.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "test.h"

/* A lookup answer as Ironic 21.4.4 gave it (tests/../shared/docs/ironic-samples), shortened. */
static const char lookup_ok[] =
    "{\"node\": {\"uuid\": \"ef9bfa3d-084b-4ed6-9c94-56d383f704dc\", \"properties\": "
    "{\"cpu_arch\": \"x86_64\", \"root_device\": {\"size\": \">= 4\"}}, \"instance_info\": {},"
    " \"driver_internal_info\": {\"agent_secret_token\": \"******\"}, \"links\": []},"
    " \"config\": {\"metrics\": {\"backend\": \"noop\"}, \"heartbeat_timeout\": 300,"
    " \"agent_token\": \"rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU\","
    " \"agent_token_required\": true, \"some_future_key\": [1, 2]}}";

static void test_versions(void)
{
	struct ironic_version v = {0, 0};
	const char root[] = "{\"name\": \"OpenStack Ironic API\", \"default_version\": {\"id\": "
			    "\"v1\", \"version\": \"1.82\", \"min_version\": \"1.1\"}}";

	CHECK(ironic_parse_root(root, strlen(root), &v) == 0 && v.major == 1 && v.minor == 82,
	      "root document: default_version.version 1.82");
	CHECK(ironic_parse_root("{}", 2, &v) == -EBADMSG, "root document without a version");
	CHECK(ironic_parse_root("{\"default_version\": {\"version\": \"1.x\"}}", 39, &v) ==
		  -EBADMSG,
	      "malformed version refused");
	CHECK(ironic_parse_root("not json", 8, &v) == -EBADMSG, "not JSON");
	CHECK(ironic_version_cmp((struct ironic_version){1, 9}, (struct ironic_version){1, 62}) < 0,
	      "1.9 < 1.62 (numeric, not text)");
	v = ironic_version_min((struct ironic_version){1, 82}, IRONIC_VERSION_TOKEN);
	CHECK(v.major == 1 && v.minor == 62, "lookup asks for min(api, 1.62)");
	v = ironic_version_min((struct ironic_version){1, 46}, IRONIC_VERSION_VERIFY_CA);
	CHECK(v.minor == 46, "heartbeat asks for min(api, 1.68): 1.46 stays");
}

static void test_lookup(void)
{
	char *macs[] = {"52:54:00:12:34:56", "52:54:00:ab:cd:ef", NULL};
	struct ironic_lookup l;
	char *path, *err = NULL;
	int r;

	path = ironic_lookup_path(macs, NULL);
	CHECK(path &&
		  strcmp(path, "/v1/lookup?addresses=52%3A54%3A00%3A12%3A34%3A56%2C52%3A54%3A00%"
			       "3Aab%3Acd%3Aef") == 0,
	      "lookup path: all MACs, escaped as requests does (%s)", path);
	free(path);
	path = ironic_lookup_path(macs + 1, "ef9bfa3d-084b");
	CHECK(path && strcmp(path, "/v1/lookup?addresses=52%3A54%3A00%3Aab%3Acd%3Aef&node_uuid="
				   "ef9bfa3d-084b") == 0,
	      "lookup path with node_uuid");
	free(path);

	r = ironic_parse_lookup(lookup_ok, strlen(lookup_ok), &l, &err);
	CHECK(r == 0 && strcmp(l.node_uuid, "ef9bfa3d-084b-4ed6-9c94-56d383f704dc") == 0 &&
		  l.heartbeat_timeout == 300 && l.token &&
		  strcmp(l.token, "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU") == 0 &&
		  !l.token_masked && json_get(l.node, "properties", json_type_object) &&
		  json_get(l.config, "some_future_key", json_type_array),
	      "lookup answer: uuid, heartbeat_timeout, token, node and config kept whole");
	ironic_lookup_done(&l);

	const char masked[] = "{\"node\": {\"uuid\": \"abc-1\"}, \"config\": {\"agent_token\": "
			      "\"******\", \"heartbeat_timeout\": 60}}";
	r = ironic_parse_lookup(masked, strlen(masked), &l, &err);
	CHECK(r == 0 && !l.token && l.token_masked && l.heartbeat_timeout == 60,
	      "\"******\": token already issued, flagged, not stored");
	ironic_lookup_done(&l);

	const char shortt[] = "{\"node\": {\"uuid\": \"abc-1\"}, \"config\": {\"agent_token\": "
			      "\"tooshort\"}}";
	r = ironic_parse_lookup(shortt, strlen(shortt), &l, &err);
	CHECK(r == 0 && !l.token && !l.token_masked, "a token under 32 characters is ignored");
	ironic_lookup_done(&l);

	const char old[] = "{\"node\": {\"uuid\": \"abc-1\"}, \"heartbeat_timeout\": 45}";
	r = ironic_parse_lookup(old, strlen(old), &l, &err);
	CHECK(r == 0 && l.heartbeat_timeout == 45,
	      "very old Ironic: top-level heartbeat_timeout moved into config");
	ironic_lookup_done(&l);

	r = ironic_parse_lookup("{\"node\": {}}", 12, &l, &err);
	CHECK(r == -EBADMSG && err && strstr(err, "node.uuid"), "no node.uuid: refused (%s)", err);
	free(err);
	r = ironic_parse_lookup("{\"node\": {\"uuid\": \"ABC/../x\"}}", 29, &l, &err);
	CHECK(r == -EBADMSG, "a uuid that does not fit the heartbeat route is refused");
	free(err);
	r = ironic_parse_lookup("[", 1, &l, &err);
	CHECK(r == -EBADMSG, "not JSON: refused");
	free(err);

	const char *em = "{\"error_message\": \"{\\\"faultcode\\\": \\\"Client\\\", "
			 "\\\"faultstring\\\": \\\"Invalid or missing agent token received.\\\", "
			 "\\\"debuginfo\\\": null}\"}";
	char *t = ironic_error_text(em, strlen(em));
	CHECK(t && strcmp(t, "Invalid or missing agent token received.") == 0,
	      "Ironic's error_message unwrapped to its faultstring (%s)", t);
	free(t);
}

static void test_heartbeat(void)
{
	json_object *b;
	char *url;

	b = ironic_heartbeat_body((struct ironic_version){1, 82}, "http://127.0.0.1:9999", "TOK",
				  "9.0.0", NULL);
	CHECK(json_object_object_length(b) == 3 &&
		  strcmp(json_get_string(b, "agent_token"), "TOK") == 0 &&
		  strcmp(json_get_string(b, "agent_version"), "9.0.0") == 0,
	      "heartbeat at 1.82: callback_url, agent_token, agent_version");
	json_object_put(b);
	b = ironic_heartbeat_body((struct ironic_version){1, 31}, "http://h:1", "TOK", "9", "CA");
	CHECK(json_object_object_length(b) == 1,
	      "heartbeat at the 1.31 fallback: callback_url only");
	json_object_put(b);
	b = ironic_heartbeat_body((struct ironic_version){1, 68}, "https://h:1", "TOK", "9", "CA");
	CHECK(json_object_object_length(b) == 4 && json_get_string(b, "agent_verify_ca"),
	      "heartbeat at 1.68 with a certificate: agent_verify_ca too");
	json_object_put(b);

	url = ironic_callback_url(false, "10.0.2.15", 9999);
	CHECK(url && strcmp(url, "http://10.0.2.15:9999") == 0, "callback URL, IPv4");
	free(url);
	url = ironic_callback_url(true, "2001:db8::5", 9999);
	CHECK(url && strcmp(url, "https://[2001:db8::5]:9999") == 0,
	      "callback URL, IPv6 bracketed");
	free(url);

	CHECK(ironic_lookup_backoff(1, 1, 0.0) == 1.0 && ironic_lookup_backoff(1, 1, 0.99) == 1.0,
	      "backoff after attempt 1: 1 s");
	CHECK(ironic_lookup_backoff(3, 1, 0.999) < 4.0 && ironic_lookup_backoff(3, 1, 0.999) > 3.9,
	      "backoff after attempt 3: up to 4 s");
	CHECK(ironic_lookup_backoff(7, 1, 0.999) <= 60.0 &&
		  ironic_lookup_backoff(7, 1, 0.999) > 59.0 &&
		  ironic_lookup_backoff(40, 1, 0.5) <= 60.0,
	      "backoff capped at 60 s");
	CHECK(ironic_lookup_backoff(2, 5, 0.5) == 5.0, "backoff never below ipa-lookup-interval");
	CHECK(ironic_conflict_pause(1) == 5 && ironic_conflict_pause(2) == 10 &&
		  ironic_conflict_pause(3) == 30 && ironic_conflict_pause(9) == 30,
	      "409 pauses: 5, 10, then 30 s");
	CHECK(ironic_heartbeat_interval(300, true, 0.0) == 90.0 &&
		  ironic_heartbeat_interval(300, true, 0.999) < 180.0,
	      "heartbeat interval after success: T x U(0.3, 0.6)");
	CHECK(ironic_heartbeat_interval(300, false, 0.0) == 5.0 &&
		  ironic_heartbeat_interval(300, false, 0.999) < 10.0,
	      "heartbeat interval after failure: 5-10 s");
	double u = random_unit();
	CHECK(u >= 0.0 && u < 1.0, "random_unit in [0, 1)");
}

static pid_t server_pid = -1;
static int server_stdin = -1;

static int server_start(void)
{
	int in[2], out[2];
	char file[4096], script[4200], port[16] = "";
	ssize_t n;

	snprintf(file, sizeof(file), "%s", __FILE__);
	snprintf(script, sizeof(script), "%s/data/echo-server.py", dirname(file));
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	server_stdin = in[1];
	/* Up to the newline: the port may come in more than one write. */
	n = 0;
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
	close(server_stdin);
	if (server_pid > 0)
		waitpid(server_pid, NULL, 0);
}

static void test_client(void)
{
	int port = server_start();
	char good[64], *urls[3];
	struct ironic_client *c;
	struct http_response resp;
	struct ironic_version v;
	json_object *o, *h;
	int r;

	if (port <= 0) {
		printf("SKIP client tests: python3 echo server did not start\n");
		return;
	}
	snprintf(good, sizeof(good), "http://127.0.0.1:%d/", port);
	urls[0] = "http://127.0.0.1:9"; /* nothing listens on discard */
	urls[1] = good;
	urls[2] = NULL;
	c = ironic_client_new(&(struct ironic_client_options){
	    .api_urls = urls, .request_id = "req-1234", .timeout_s = 10});

	r = ironic_client_request(c, "POST", "/v1/heartbeat/abc", IRONIC_VERSION_VERIFY_CA,
				  "{\"a\": 1}", &resp);
	o = r == 0 ? json_tokener_parse(resp.body) : NULL;
	h = json_get(o, "headers", json_type_object);
	CHECK(r == 0 && resp.status == 200 &&
		  strcmp(json_get_string(o, "path"), "/v1/heartbeat/abc") == 0 &&
		  strcmp(json_get_string(h, "X-OpenStack-Ironic-API-Version"), "1.68") == 0 &&
		  strcmp(json_get_string(h, "X-OpenStack-Request-ID"), "req-1234") == 0 &&
		  strcmp(json_get_string(h, "Content-Type"), "application/json") == 0 &&
		  strcmp(json_get_string(o, "body"), "{\"a\": 1}") == 0,
	      "request: refused URL skipped, trailing '/' dropped, headers and body sent");
	json_object_put(o);
	http_response_done(&resp);

	v = ironic_client_discover(c);
	CHECK(v.major == 1 && v.minor == 82, "discovery over HTTP: 1.82");

	r = ironic_client_request(c, "GET", "/status/409", (struct ironic_version){0, 0}, NULL,
				  &resp);
	{
		char *t = r == 0 ? ironic_error_text(resp.body, resp.len) : NULL;

		CHECK(r == 0 && resp.status == 409 && t && strcmp(t, "stub says 409") == 0,
		      "an error status is an answer, with its faultstring");
		free(t);
	}
	http_response_done(&resp);

	r = ironic_client_request(c, "GET", "/big", (struct ironic_version){0, 0}, NULL, &resp);
	CHECK(r == -EFBIG, "an answer over 4 MiB is refused (%d: %s)", r, resp.error);
	http_response_done(&resp);
	ironic_client_free(c);

	urls[1] = NULL;
	c = ironic_client_new(&(struct ironic_client_options){.api_urls = urls, .timeout_s = 5});
	r = ironic_client_request(c, "GET", "/", (struct ironic_version){0, 0}, NULL, &resp);
	CHECK(r == -ECONNREFUSED && resp.error[0], "no URL answers: -ECONNREFUSED (%s)",
	      resp.error);
	http_response_done(&resp);
	v = ironic_client_discover(c);
	CHECK(v.major == 1 && v.minor == 31, "failed discovery falls back to 1.31");
	ironic_client_free(c);
	server_stop();
}

int main(void)
{
	log_set_quiet(true);
	signal(SIGPIPE, SIG_IGN);
	http_global_init();
	test_versions();
	test_lookup();
	test_heartbeat();
	test_client();
	return failures ? 1 : 0;
}
