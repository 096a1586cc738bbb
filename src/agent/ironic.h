#pragma once

/*
 * Talking to Ironic's API as IPA's ironic_api_client.APIClient does: version discovery
 * (GET /), lookup (GET /v1/lookup) with IPA's randomised exponential backoff, and heartbeats
 * (POST /v1/heartbeat/<uuid>) with the fields each API version allows.
 *
 * The pure parts (URLs, bodies, answers, backoff and interval arithmetic) are separate from the
 * transport so that the unit tests check them against Ironic's recorded answers.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/http.h"

/* API versions IPA asks for (ironic_api_client.py). */
#define IRONIC_VERSION_FALLBACK	 ((struct ironic_version){1, 31})
#define IRONIC_VERSION_AGENT_VER ((struct ironic_version){1, 36})
#define IRONIC_VERSION_TOKEN	 ((struct ironic_version){1, 62})
#define IRONIC_VERSION_VERIFY_CA ((struct ironic_version){1, 68})

/* IPA accepts a token of at least this length from lookup. */
#define IRONIC_TOKEN_MIN 32
/* Answers of Ironic larger than this are refused. */
#define IRONIC_BODY_MAX (4 * 1024 * 1024)

struct ironic_version {
	unsigned major;
	unsigned minor;
};

int ironic_version_cmp(struct ironic_version a, struct ironic_version b);
struct ironic_version ironic_version_min(struct ironic_version a, struct ironic_version b);

/* "1.82" from GET /'s default_version.version. -EBADMSG when the answer has none. */
int ironic_parse_root(const char *body, size_t len, struct ironic_version *ret);

/* "/v1/lookup?addresses=<macs, comma-separated, escaped>[&node_uuid=<uuid>]". */
char *ironic_lookup_path(char *const *macs, const char *node_uuid);

struct ironic_lookup {
	char *node_uuid;
	json_object *node;	    /* the whole "node" object */
	json_object *config;	    /* the whole "config" object (maybe empty) */
	unsigned heartbeat_timeout; /* config.heartbeat_timeout, 300 if absent */
	char *token;		    /* a usable config.agent_token, or NULL */
	bool token_masked;	    /* config.agent_token was "******" */
};

/*
 * Validates a lookup answer as IPA does: JSON with node.uuid (and a top-level heartbeat_timeout
 * moved into config for very old Ironic). -EBADMSG with *error set otherwise.
 */
int ironic_parse_lookup(const char *body, size_t len, struct ironic_lookup *ret, char **error);
void ironic_lookup_done(struct ironic_lookup *l);

/* The heartbeat body for API version v: callback_url always, agent_token from 1.62 (when
 * known), agent_version from 1.36, agent_verify_ca from 1.68 (when given). */
json_object *ironic_heartbeat_body(struct ironic_version v, const char *callback_url,
				   const char *token, const char *agent_version,
				   const char *verify_ca);

/* "<proto>://<host>:<port>", with an IPv6 literal in brackets. */
char *ironic_callback_url(bool https, const char *host, unsigned port);

/* The faultstring inside Ironic's {"error_message": "<json>"} body, or NULL. */
char *ironic_error_text(const char *body, size_t len);

/*
 * Seconds to wait after lookup attempt n (1, 2, ...): tenacity's wait_random_exponential(min,
 * max=60) as of tenacity 9: uniform(min, max(min, min(2^(n-1), 60))); u is uniform in [0, 1).
 */
double ironic_lookup_backoff(unsigned attempt, unsigned min_s, double u);

/* Extra pause after the k-th consecutive 409 (k = 1, 2, ...): 5, 10, then 30 s. */
unsigned ironic_conflict_pause(unsigned k);

/* Seconds to the next heartbeat: T x U(0.3, 0.6) after a success, 5 x U(1, 2) after a failure
 * (IPA >= 9.9). u is uniform in [0, 1). */
double ironic_heartbeat_interval(unsigned heartbeat_timeout, bool success, double u);

/* A uniform double in [0, 1) from getrandom(). */
double random_unit(void);

/* The transport: the API URLs in order, the working one moved to the front, as IPA >= 9.9. */
struct ironic_client;

struct ironic_client_options {
	char *const *api_urls;
	const char *request_id; /* X-OpenStack-Request-ID, may be NULL */
	bool insecure;		/* or http_tls_get()'s */
	const char *ca_file;	/* may be NULL: http_tls_get()'s CA bundle */
	unsigned timeout_s;
};

struct ironic_client *ironic_client_new(const struct ironic_client_options *o);
void ironic_client_free(struct ironic_client *c);

/*
 * One request to the first API URL that answers (connection and TLS errors, a refused
 * certificate included, move on to the next, each logged with curl's reason). The
 * version header is sent when version is not {0, 0}. Returns 0 with *ret filled (any status), or
 * a negative errno when no URL answered (ret->error says why).
 */
int ironic_client_request(struct ironic_client *c, const char *method, const char *path,
			  struct ironic_version version, const char *body,
			  struct http_response *ret);

/* GET /: the discovered version, or the fallback 1.31 when that fails (not cached, as IPA). */
struct ironic_version ironic_client_discover(struct ironic_client *c);
