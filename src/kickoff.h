/*
 * kickoff C core: HTTP over libcurl with per-vendor auth, retries, TLS and
 * redaction. No Lua in here, so the core can be linked and tested from C.
 *
 * Objects: an engine (one libcurl multi handle + share handle, the pool),
 * clients (one vendor account: base URL, credentials, policy) and transfers
 * (one logical request across its attempts). Everything is non-blocking:
 * ko_submit() queues, ko_engine_step() drives; a blocking call is a submit
 * followed by steps until ko_transfer_done().
 */
#ifndef KICKOFF_H
#define KICKOFF_H

#include <stddef.h>
#include <stdint.h>

#define KO_VERSION "0.1.0"

typedef struct ko_engine ko_engine;
typedef struct ko_client ko_client;
typedef struct ko_transfer ko_transfer;

/* Error kinds, mirrored by kickoff.Error.kind in Lua. */
typedef enum {
  KO_OK = 0,
  KO_ERR_VALIDATION,
  KO_ERR_AUTH,
  KO_ERR_RATE_LIMITED,
  KO_ERR_HTTP,
  KO_ERR_NETWORK,
  KO_ERR_TIMEOUT,
  KO_ERR_TLS,
  KO_ERR_OUTCOME_UNKNOWN,
  KO_ERR_PROTOCOL,
  KO_ERR_CANCELED
} ko_error_kind;

const char *ko_error_kind_name(ko_error_kind kind);

/* ---- vendors (vendor.c) -------------------------------------------------- */

typedef enum {
  KO_AUTH_NONE,           /* no credentials (admin calls, tests) */
  KO_AUTH_HEADER,         /* static token in a header, e.g. X-DOMO-Developer-Token */
  KO_AUTH_APIKEY_PROJECT, /* Authorization: x-api-key KEY + x-project-id */
  KO_AUTH_BODY_FIELD,     /* token written into the JSON body (Domo Campaigns) */
  KO_AUTH_OAUTH_CC        /* OAuth 2.0 client credentials, Bearer token */
} ko_auth_scheme;

typedef struct ko_named_host {
  const char *name;
  const char *url;
} ko_named_host;

typedef struct ko_vendor {
  const char *name;
  ko_auth_scheme auth;
  const char *auth_header;       /* header that carries the secret */
  const char *auth_prefix;       /* text before the secret in that header */
  const char *project_header;    /* KO_AUTH_APIKEY_PROJECT: project header */
  const char *body_secret_field; /* KO_AUTH_BODY_FIELD: JSON field for the secret */
  const char *token_path;        /* KO_AUTH_OAUTH_CC: token endpoint path */
  const char *request_id_header; /* vendor's request id response header */
  const char *idempotency_header; /* header for idempotency keys, if any */
  const char *default_base_url;  /* NULL when the host is per account */
  const ko_named_host *hosts;    /* named data-centre hosts, NULL-terminated */
  int gzip_requests;             /* accepts Content-Encoding: gzip bodies */
} ko_vendor;

const ko_vendor *ko_vendor_find(const char *name);
const ko_vendor *ko_vendor_at(size_t index); /* NULL past the end */

/* ---- engine (engine.c) --------------------------------------------------- */

ko_engine *ko_engine_new(char *err, size_t errlen);
/* Drops the caller's reference; freed when no client holds it either. */
void ko_engine_release(ko_engine *engine);
/* Waits up to timeout_ms for network activity or a due timer, then makes
 * progress. Returns the number of transfers that completed, or -1. */
int ko_engine_step(ko_engine *engine, int timeout_ms);
/* Milliseconds until the engine next needs a step (-1: nothing pending). */
long ko_engine_timeout(ko_engine *engine);
size_t ko_engine_in_flight(const ko_engine *engine);
/* Ids of the transfers that completed during the last step (valid until the
 * next step), so a scheduler resumes exactly their waiters. */
const uint64_t *ko_engine_completed(const ko_engine *engine, size_t *count);
/* Connection pool bounds (max_lifetime in seconds: a connection older
 * than that is not reused); 0 leaves a bound unchanged. */
void ko_engine_set_limits(ko_engine *engine, long max_host_connections,
                          long max_connections, long max_lifetime);
/* Sockets a host event loop should watch (from curl_multi_fdset, so below
 * FD_SETSIZE): fills fds/events (1 read, 2 write) up to cap entries (fds may
 * be NULL when cap is 0) and returns how many there are. */
int ko_engine_sockets(ko_engine *engine, int *fds, int *events, int cap);

/* Trace events, queued by the core and drained by the embedder after a step,
 * so no user callback ever runs inside libcurl. Text is already redacted. */
typedef struct ko_event {
  uint64_t client_id;
  uint64_t transfer_id;
  const char *type; /* "request", "response", "retry", "token", "error" */
  char *text;
  struct ko_event *next;
} ko_event;

ko_event *ko_engine_take_events(ko_engine *engine); /* caller frees list */
void ko_events_free(ko_event *list);

/* ---- clients (client.c) -------------------------------------------------- */

typedef struct ko_policy {
  long timeout_ms;         /* per attempt */
  long connect_timeout_ms; /* per attempt, connect + TLS */
  long deadline_ms;        /* whole call: attempts and backoff */
  int max_attempts;        /* 1 = no retry */
  long backoff_base_ms;
  long backoff_cap_ms;
  long retry_after_cap_ms; /* longer Retry-After: fail with rate_limited */
} ko_policy;

void ko_policy_defaults(ko_policy *policy);

typedef struct ko_client_opts {
  const ko_vendor *vendor;
  const char *base_url;
  const char *secret;    /* token, API key or OAuth client secret */
  const char *client_id; /* OAuth */
  const char *project_id;
  const char *ca_file;
  const char *ca_path;
  const char *proxy;
  const char *user_agent;
  ko_policy policy;
  int trace; /* queue trace events for this client */
  int retry_budget;  /* token-bucket capacity; < 0: the default (500) */
  double rate;       /* attempts started per second; 0: unlimited */
  double rate_burst; /* attempts allowed at once; < 1: 1 */
} ko_client_opts;

ko_client *ko_client_new(ko_engine *engine, const ko_client_opts *opts,
                         char *err, size_t errlen);
void ko_client_release(ko_client *client);
uint64_t ko_client_id(const ko_client *client);
const char *ko_client_base_url(const ko_client *client);
const ko_vendor *ko_client_vendor(const ko_client *client);
unsigned long ko_client_token_requests(const ko_client *client);

/* ---- transfers (transfer.c) ---------------------------------------------- */

typedef struct ko_header {
  const char *name;
  const char *value;
} ko_header;

typedef struct ko_request {
  const char *method;
  const char *path;  /* appended to the client's base URL ... */
  const char *url;   /* ... unless a full URL is given (paging links) */
  const ko_header *headers;
  size_t nheaders;
  const char *body;
  size_t body_len;
  const char *content_type;
  int idempotent;              /* a repeat cannot duplicate an effect */
  const char *idempotency_key; /* sent unchanged on every attempt */
  int gzip;                    /* compress the body (vendor must accept it) */
  int body_secret;             /* never show the body in traces */
  ko_policy policy;            /* 0 fields: the client's value */
} ko_request;

typedef struct ko_result {
  long status;
  char *body;
  size_t body_len;
  ko_header *headers;
  size_t nheaders;
  ko_error_kind kind;
  const char *phase; /* where a failure happened: "connect", "tls", ... */
  int curl_code;
  int retryable;
  int attempts;
  long retry_after_ms; /* -1 when absent */
  double elapsed;      /* seconds, whole call */
  char message[768];
} ko_result;

/* Returns NULL and fills err (a validation message) when the request is
 * refused before anything is sent. */
ko_transfer *ko_submit(ko_client *client, const ko_request *req, char *err,
                       size_t errlen);
int ko_transfer_done(const ko_transfer *transfer);
uint64_t ko_transfer_id(const ko_transfer *transfer);
const ko_result *ko_transfer_result(const ko_transfer *transfer);
/* Cancels the transfer if it is still running, then frees it. */
void ko_transfer_free(ko_transfer *transfer);
const char *ko_result_header(const ko_result *result, const char *name);

/* ---- safety (safety.c) --------------------------------------------------- */

int ko_check_method(const char *method, char *err, size_t errlen);
int ko_check_header(const char *name, const char *value, char *err,
                    size_t errlen);
/* https only; http only when the host is loopback. */
int ko_check_url(const char *url, char *err, size_t errlen);
int ko_is_loopback_host(const char *host);
void ko_wipe(void *p, size_t n);

/* ---- retry helpers (retry.c) --------------------------------------------- */

/* Parses a Retry-After value (delta-seconds or HTTP-date) relative to now
 * (seconds since the epoch). Returns milliseconds, or -1 when unparsable. */
long ko_parse_retry_after(const char *value, long now);
long ko_backoff_ms(const ko_policy *policy, int retry, uint64_t *rng);

/* ---- misc ---------------------------------------------------------------- */

/* Random UUIDv4 into out (37 bytes). Returns 0 on success. */
int ko_uuid4(char out[37]);

#endif
