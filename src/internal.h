/* Private structures shared by the C core's files. Not installed. */
#ifndef KICKOFF_INTERNAL_H
#define KICKOFF_INTERNAL_H

#include <curl/curl.h>

#include "buffer.h"
#include "kickoff.h"

#define KO_MAX_RESPONSE_BYTES ((size_t)16 * 1024 * 1024)
#define KO_MAX_EVENTS 4096
#define KO_EASY_POOL 64
/* retry budget, reliability-anchors.md §1.2 (AWS standard retry quota) */
#define KO_RETRY_BUDGET 500
#define KO_RETRY_COST 5
#define KO_RETRY_COST_TIMEOUT 10
#define KO_RETRY_REFUND 1

typedef enum {
  KO_T_WAIT_TOKEN, /* queued behind the client's token request */
  KO_T_RUNNING,    /* an attempt is in the multi handle */
  KO_T_BACKOFF,    /* waiting for wake_at (backoff or rate limit) */
  KO_T_DONE
} ko_transfer_state;

struct ko_engine {
  CURLM *multi;
  CURLSH *share;
  int refs;
  ko_transfer *live; /* every transfer not yet done */
  size_t nlive;
  ko_event *events_head, *events_tail;
  size_t nevents;
  uint64_t next_id;
  uint64_t rng;
  CURL *easy_pool[KO_EASY_POOL];
  int neasy;
  int completed; /* transfers finished during the current step */
  uint64_t *done_ids; /* their ids, for schedulers */
  size_t ndone, done_cap;
  long max_connection_lifetime; /* seconds */
  ko_transfer **timers; /* min-heap on wake_at (timers.c) */
  size_t ntimers, timers_cap;
};

struct ko_client {
  int refs;
  uint64_t id;
  ko_engine *engine;
  const ko_vendor *vendor;
  char *base_url;
  char *secret; /* wiped on free */
  char *client_id;
  char *project_id;
  char *ca_file, *ca_path, *proxy, *user_agent;
  ko_policy policy;
  int trace;
  /* OAuth client credentials state */
  char *access_token; /* wiped on free */
  double token_expires_at;
  uint64_t token_generation;
  ko_transfer *token_fetch;  /* in-flight token request, owned by the client */
  ko_transfer *token_waiters; /* transfers queued for a token */
  unsigned long token_requests;
  /* limits.c */
  int retry_budget, retry_budget_cap;
  double rate, rate_burst, rate_tokens, rate_stamp;
};

struct ko_transfer {
  ko_engine *engine;
  ko_client *client;
  uint64_t id;
  int internal; /* a token request: owned by its client, never by Lua */
  ko_transfer_state state;
  ko_transfer *prev, *next;    /* engine->live */
  ko_transfer *next_waiter;    /* client->token_waiters */
  /* request, copied at submit */
  char *method;
  char *url;
  struct curl_slist *user_headers;
  ko_buf body;
  int body_secret;
  int idempotent;
  ko_policy policy;
  /* attempt state */
  CURL *easy;
  struct curl_slist *attempt_headers;
  char errbuf[CURL_ERROR_SIZE];
  int auth_retried;
  uint64_t token_generation_used;
  double started_at;
  double deadline_at;
  double wake_at;
  size_t timer_slot;   /* index + 1 in engine->timers; 0 when not waiting */
  int budget_taken;    /* retry-budget tokens this transfer's retries spent */
  int requests_this_attempt; /* libcurl's sends, counted when not idempotent */
  int resend_refused;  /* libcurl wanted to resend a non-idempotent request */
  ko_buf resp_body;
  ko_buf resp_headers; /* raw header block of the last response */
  int too_large;
  ko_result result;
};

/* engine.c */
double ko_now(void);
void ko_engine_emit(ko_engine *engine, const ko_client *client,
                    const ko_transfer *transfer, const char *type,
                    const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
CURL *ko_engine_take_easy(ko_engine *engine);
void ko_engine_give_easy(ko_engine *engine, CURL *easy);
void ko_engine_link(ko_engine *engine, ko_transfer *transfer);
void ko_engine_unlink(ko_engine *engine, ko_transfer *transfer);
void ko_engine_retain(ko_engine *engine);
void ko_engine_note_done(ko_engine *engine, uint64_t transfer_id);

/* timers.c */
int ko_timer_add(ko_engine *engine, ko_transfer *transfer); /* -1: no memory */
void ko_timer_remove(ko_engine *engine, ko_transfer *transfer);
double ko_timer_next(const ko_engine *engine); /* wake_at, or -1 */
ko_transfer *ko_timer_pop_due(ko_engine *engine, double now);

/* limits.c */
void ko_limits_init(ko_client *client, const ko_client_opts *opts);
/* 1 and the cost added to *taken when a retry may go ahead, 0 when the
 * client's budget is spent */
int ko_budget_take(ko_client *client, ko_error_kind kind, int *taken);
void ko_budget_refund(ko_client *client, int taken);
/* seconds until the client may start another attempt (0: now, token used) */
double ko_rate_wait(ko_client *client, double now);

/* client.c */
void ko_client_retain(ko_client *client);

/* transfer.c */
ko_transfer *ko_transfer_alloc(ko_client *client);
void ko_transfer_start_attempt(ko_transfer *transfer);
void ko_transfer_on_done(ko_transfer *transfer, CURLcode code);
void ko_transfer_fail(ko_transfer *transfer, ko_error_kind kind,
                      const char *phase, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ko_transfer_wake_due(ko_engine *engine, double now);

/* auth.c */
/* Adds the vendor's auth headers for this attempt. Returns 0, or -1 when the
 * transfer must wait for a token (it is then queued on the client). */
int ko_auth_prepare(ko_transfer *transfer, struct curl_slist **headers);
/* Called when a response is 401; returns 1 when a fresh token was requested
 * and the transfer will be retried, 0 otherwise. */
int ko_auth_on_unauthorized(ko_transfer *transfer);
void ko_auth_token_done(ko_transfer *token_transfer);
int ko_auth_inject_body(ko_client *client, ko_buf *body, char *err,
                        size_t errlen);
/* Parses an OAuth token response body (untrusted; fuzz/fuzz_token_response.c).
 * Returns 0 with a malloc'ed *token (wipe before free) and expires_in in
 * seconds (3600 when absent, at least 1), or -1 with a reason in why. */
int ko_parse_token_response(const char *body, size_t len, char **token,
                            double *expires_in, char *why, size_t whylen);
void ko_auth_client_free(ko_client *client);

/* safety.c */
/* Only the characters of a URL (no controls, no space): enough for a URL
 * that extends a base URL ko_check_url already accepted. */
int ko_check_url_chars(const char *url, char *err, size_t errlen);
void ko_slist_free_wiped(struct curl_slist *list);
int ko_header_is_secret(const char *line, const ko_vendor *vendor);

/* gzip.c */
int ko_gzip(const char *in, size_t len, ko_buf *out);

#endif
