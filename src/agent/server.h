#pragma once

/*
 * The HTTP server under the agent's API: civetweb with keep-alive and a pool of worker threads,
 * so that Ironic's polling GETs are answered while a command runs and a synchronous command
 * does not hold up the others. Every request goes to api_handle(); this file only moves bytes:
 * it reads the body (refusing one over API_BODY_MAX before reading it) and writes the answer
 * with a Content-Length, as keep-alive needs.
 *
 * With tls_pem the port speaks only TLS (civetweb's "<port>s", mbedTLS 3.6): TLS 1.2 and 1.3,
 * mbedTLS's default suites and groups. civetweb built on mbedTLS takes neither
 * ssl_protocol_version nor ssl_cipher_list, so ipa-tls-min-version=1.3 and
 * ipa-tls-cipher-suites cannot be applied (the caller says so in the log).
 */

#include "agent/api.h"

struct server_options {
	const char *listen_host; /* NULL or "::" for every address, IPv6 and IPv4 */
	unsigned port;
	unsigned threads;    /* worker threads; 0 means 32 (idle keep-alive connections hold one) */
	const char *tls_pem; /* NULL: plain HTTP; else a PEM file: the private key, then the
				certificate (tls_global_init() called before) */
};

struct server;

/* Starts listening. On failure returns NULL and *error says why (malloc'ed). */
struct server *server_start(struct api *api, const struct server_options *o, char **error);
void server_stop(struct server *s);
