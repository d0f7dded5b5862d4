/* A transfer: one logical request across its attempts. It owns the copied
 * request, decides after each attempt whether a retry is safe (a launch
 * without an idempotency key is retried only when it provably was not acted
 * on), and keeps the deadline that bounds attempts and backoff together. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

#define TRACE_BODY_MAX 2048

ko_transfer *ko_transfer_alloc(ko_client *client) {
  ko_transfer *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->engine = client->engine;
  t->client = client;
  t->id = ++client->engine->next_id;
  t->result.retry_after_ms = -1;
  return t;
}

int ko_transfer_done(const ko_transfer *t) { return t->state == KO_T_DONE; }
uint64_t ko_transfer_id(const ko_transfer *t) { return t->id; }
const ko_result *ko_transfer_result(const ko_transfer *t) {
  return t->state == KO_T_DONE ? &t->result : NULL;
}

const char *ko_result_header(const ko_result *r, const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
  return NULL;
}

/* ---- request copy -------------------------------------------------------- */

static int append_header(struct curl_slist **list, const char *name,
                         const char *value) {
  size_t n = strlen(name) + strlen(value) + 3;
  char *line = malloc(n);
  if (!line) return -1;
  snprintf(line, n, "%s: %s", name, value);
  struct curl_slist *grown = curl_slist_append(*list, line);
  ko_wipe(line, n);
  free(line);
  if (!grown) return -1;
  *list = grown;
  return 0;
}

static int has_header(const struct curl_slist *list, const char *name) {
  size_t n = strlen(name);
  for (; list; list = list->next)
    if (strncasecmp(list->data, name, n) == 0 && list->data[n] == ':') return 1;
  return 0;
}

static void merge_policy(ko_policy *dst, const ko_policy *req,
                         const ko_policy *client) {
  *dst = *client;
  if (req->timeout_ms > 0) dst->timeout_ms = req->timeout_ms;
  if (req->connect_timeout_ms > 0)
    dst->connect_timeout_ms = req->connect_timeout_ms;
  if (req->deadline_ms > 0) dst->deadline_ms = req->deadline_ms;
  if (req->max_attempts > 0) dst->max_attempts = req->max_attempts;
  if (req->backoff_base_ms > 0) dst->backoff_base_ms = req->backoff_base_ms;
  if (req->backoff_cap_ms > 0) dst->backoff_cap_ms = req->backoff_cap_ms;
  if (req->retry_after_cap_ms > 0)
    dst->retry_after_cap_ms = req->retry_after_cap_ms;
}

/* A full URL (a paging link) may only point under the client's base URL:
 * credentials must never travel to another host. */
static int url_under_base(const char *url, const char *base) {
  size_t n = strlen(base);
  return strncmp(url, base, n) == 0 &&
         (url[n] == '\0' || url[n] == '/' || url[n] == '?');
}

static int build_url(ko_transfer *t, const ko_request *req, char *err,
                     size_t errlen) {
  const char *base = t->client->base_url;
  if (req->url) {
    if (!url_under_base(req->url, base)) {
      snprintf(err, errlen,
               "url: %.200s is not under the client's base URL %.200s; "
               "credentials are only sent to the configured host",
               req->url, base);
      return -1;
    }
    t->url = strdup(req->url);
  } else {
    const char *path = req->path ? req->path : "";
    if (*path && *path != '/') {
      snprintf(err, errlen, "path: must start with '/'");
      return -1;
    }
    size_t n = strlen(base) + strlen(path) + 1;
    t->url = malloc(n);
    if (t->url) snprintf(t->url, n, "%s%s", base, path);
  }
  if (!t->url) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  /* the client's base URL passed ko_check_url (scheme, host, no
   * credentials) and this URL only extends it after a '/' or '?', so the
   * host cannot change: the characters are all that is left to check */
  return ko_check_url_chars(t->url, err, errlen);
}

static int copy_request(ko_transfer *t, const ko_request *req, char *err,
                        size_t errlen) {
  ko_client *c = t->client;
  if (ko_check_method(req->method, err, errlen)) return -1;
  t->method = strdup(req->method);
  if (!t->method) goto oom;
  if (build_url(t, req, err, errlen)) return -1;
  for (size_t i = 0; i < req->nheaders; i++) {
    const ko_header *h = &req->headers[i];
    if (ko_check_header(h->name, h->value, err, errlen)) return -1;
    if (append_header(&t->user_headers, h->name, h->value)) goto oom;
  }
  if (req->content_type) {
    if (ko_check_header("Content-Type", req->content_type, err, errlen))
      return -1;
    if (append_header(&t->user_headers, "Content-Type", req->content_type))
      goto oom;
  }
  if (req->idempotency_key) {
    const char *header = c->vendor->idempotency_header;
    if (!header) {
      snprintf(err, errlen,
               "idempotency_key: vendor %s documents no idempotency key",
               c->vendor->name);
      return -1;
    }
    size_t n = strlen(req->idempotency_key);
    if (n == 0 || n > 255) {
      snprintf(err, errlen, "idempotency_key: must be 1 to 255 characters");
      return -1;
    }
    if (ko_check_header(header, req->idempotency_key, err, errlen)) return -1;
    if (append_header(&t->user_headers, header, req->idempotency_key))
      goto oom;
  }
  t->idempotent = req->idempotent || req->idempotency_key != NULL;
  t->body_secret = req->body_secret;
  if (req->body && ko_buf_set(&t->body, req->body, req->body_len)) goto oom;
  if (c->vendor->auth == KO_AUTH_BODY_FIELD && req->body) {
    if (ko_auth_inject_body(c, &t->body, err, errlen)) return -1;
    t->body_secret = 1;
  }
  if (req->gzip && t->body.data) {
    if (!c->vendor->gzip_requests) {
      snprintf(err, errlen, "gzip: vendor %s does not accept gzip bodies",
               c->vendor->name);
      return -1;
    }
    ko_buf packed = {0};
    if (ko_gzip(t->body.data, t->body.len, &packed)) {
      ko_buf_free(&packed, 1);
      goto oom;
    }
    ko_buf_free(&t->body, 1);
    t->body = packed;
    if (append_header(&t->user_headers, "Content-Encoding", "gzip")) goto oom;
  }
  /* libcurl would add "Expect: 100-continue" to larger bodies: one more
   * round trip for nothing */
  if (!has_header(t->user_headers, "Expect"))
    if (append_header(&t->user_headers, "Expect", "")) goto oom;
  merge_policy(&t->policy, &req->policy, &c->policy);
  return 0;
oom:
  snprintf(err, errlen, "out of memory");
  return -1;
}

ko_transfer *ko_submit(ko_client *c, const ko_request *req, char *err,
                       size_t errlen) {
  ko_transfer *t = ko_transfer_alloc(c);
  if (!t) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  ko_client_retain(c);
  if (copy_request(t, req, err, errlen) != 0) {
    ko_transfer_free(t);
    return NULL;
  }
  t->started_at = ko_now();
  t->deadline_at = t->started_at + (double)t->policy.deadline_ms / 1000.0;
  ko_engine_link(t->engine, t);
  ko_transfer_start_attempt(t);
  return t;
}

/* ---- tracing ------------------------------------------------------------- */

static void trace_request(ko_transfer *t) {
  ko_client *c = t->client;
  if (!c->trace) return;
  ko_buf line = {0};
  for (struct curl_slist *h = t->attempt_headers; h; h = h->next) {
    size_t hlen = strlen(h->data);
    if (hlen && h->data[hlen - 1] == ' ') continue; /* "Expect: " removes a header */
    if (line.len) ko_buf_append(&line, "; ", 2);
    if (ko_header_is_secret(h->data, c->vendor)) {
      const char *colon = strchr(h->data, ':');
      size_t n = colon ? (size_t)(colon - h->data) : strlen(h->data);
      ko_buf_append(&line, h->data, n);
      ko_buf_append(&line, ": [REDACTED]", 12);
    } else {
      ko_buf_append(&line, h->data, strlen(h->data));
    }
  }
  char body[TRACE_BODY_MAX + 64];
  if (!t->body.data)
    snprintf(body, sizeof body, "(none)");
  else if (t->body_secret || has_header(t->user_headers, "Content-Encoding"))
    snprintf(body, sizeof body, "[REDACTED %zu bytes]", t->body.len);
  else
    snprintf(body, sizeof body, "%.*s%s", TRACE_BODY_MAX, t->body.data,
             t->body.len > TRACE_BODY_MAX ? "..." : "");
  ko_engine_emit(t->engine, c, t, "request",
                 "%s %s attempt %d/%d headers: %s body: %s", t->method, t->url,
                 t->result.attempts + 1, t->policy.max_attempts,
                 line.data ? line.data : "", body);
  ko_buf_free(&line, 1);
}

/* ---- attempts ------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  ko_transfer *t = ud;
  size_t n = size * nmemb;
  if (t->resp_body.len + n > KO_MAX_RESPONSE_BYTES) {
    t->too_large = 1;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  return ko_buf_append(&t->resp_body, data, n) == 0 ? n : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
  ko_transfer *t = ud;
  size_t n = size * nmemb;
  /* a new status line (after 100 Continue) starts a new header block */
  if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    t->resp_headers.len = 0;
    t->resp_body.len = 0;
  }
  if (t->resp_headers.len + n > (size_t)256 * 1024) return 0;
  return ko_buf_append(&t->resp_headers, data, n) == 0 ? n : 0;
}

static long remaining_ms(const ko_transfer *t) {
  return (long)((t->deadline_at - ko_now()) * 1000.0);
}

/* libcurl silently sends a request again on a fresh connection when a
 * reused one dies before any reply. For a launch without an idempotency key
 * that hidden resend could launch twice, so non-idempotent requests count
 * the requests libcurl is about to send in this attempt and abort the
 * second one; the attempt then ends as outcome_unknown. (The body still
 * goes out with the headers in one write, as with any POSTFIELDS.) */
static int on_prerequest(void *ud, char *conn_primary_ip, char *conn_local_ip,
                         int conn_primary_port, int conn_local_port) {
  (void)conn_primary_ip;
  (void)conn_local_ip;
  (void)conn_primary_port;
  (void)conn_local_port;
  ko_transfer *t = ud;
  if (++t->requests_this_attempt > 1) {
    t->resend_refused = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

static void set_method(CURL *easy, ko_transfer *t) {
  const char *m = t->method;
  int has_body = t->body.data != NULL;
  if (strcmp(m, "GET") == 0 && !has_body) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    return;
  }
  if (has_body || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
      strcmp(m, "PATCH") == 0) {
    /* POST machinery also for PUT/PATCH so an empty body still sends
     * Content-Length: 0 */
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, has_body ? t->body.data : "");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(has_body ? t->body.len : 0));
  }
  if (strcmp(m, "POST") != 0 && strcmp(m, "GET") != 0)
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m);
}

static int configure_easy(ko_transfer *t, CURL *easy) {
  ko_client *c = t->client;
  long timeout = t->policy.timeout_ms;
  long left = remaining_ms(t);
  if (left < timeout) timeout = left;
  if (timeout < 1) timeout = 1;
  long connect = t->policy.connect_timeout_ms;
  if (connect > timeout) connect = timeout;
  int plain = strncasecmp(t->url, "http:", 5) == 0;
  CURLcode rc = CURLE_OK;
#define SET(opt, val) \
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, val)
  SET(CURLOPT_URL, t->url);
  SET(CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_HTTPHEADER, t->attempt_headers);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, t);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, t);
  SET(CURLOPT_PRIVATE, (char *)t);
  SET(CURLOPT_ERRORBUFFER, t->errbuf);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_TIMEOUT_MS, timeout);
  SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
  SET(CURLOPT_SHARE, t->engine->share);
  SET(CURLOPT_ACCEPT_ENCODING, "");
  SET(CURLOPT_USERAGENT, c->user_agent);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  SET(CURLOPT_TCP_NODELAY, 1L);
  /* long-lived connections are not re-verified: bound their life */
  SET(CURLOPT_MAXLIFETIME_CONN, t->engine->max_connection_lifetime);
  /* prefer multiplexing on an HTTP/2 connection being set up over opening
   * another one */
  SET(CURLOPT_PIPEWAIT, 1L);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (c->ca_file) SET(CURLOPT_CAINFO, c->ca_file);
  if (c->ca_path) SET(CURLOPT_CAPATH, c->ca_path);
  if (c->proxy) SET(CURLOPT_PROXY, c->proxy);
#undef SET
  if (rc != CURLE_OK) return (int)rc;
  set_method(easy, t);
  t->requests_this_attempt = 0;
  t->resend_refused = 0;
  if (!t->idempotent) {
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_prerequest);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, t);
  }
  return 0;
}

/* Parks the transfer until wake_at; 0, or -1 (and failed) without memory. */
static int park(ko_transfer *t, double wake_at) {
  t->state = KO_T_BACKOFF;
  t->wake_at = wake_at;
  if (ko_timer_add(t->engine, t) == 0) return 0;
  ko_transfer_fail(t, KO_ERR_PROTOCOL, "setup", "out of memory");
  return -1;
}

void ko_transfer_start_attempt(ko_transfer *t) {
  if (remaining_ms(t) <= 0) {
    ko_transfer_fail(t, KO_ERR_TIMEOUT, "deadline",
                     "deadline of %ld ms passed before attempt %d could start",
                     t->policy.deadline_ms, t->result.attempts + 1);
    return;
  }
  double now = ko_now();
  double wait = ko_rate_wait(t->client, now);
  if (wait > 0) {
    park(t, now + wait); /* the client's `rate` says not yet */
    return;
  }
  struct curl_slist *headers = NULL;
  for (struct curl_slist *h = t->user_headers; h; h = h->next) {
    struct curl_slist *grown = curl_slist_append(headers, h->data);
    if (!grown) goto oom;
    headers = grown;
  }
  if (ko_auth_prepare(t, &headers) != 0) {
    ko_slist_free_wiped(headers);
    if (t->state != KO_T_DONE) t->state = KO_T_WAIT_TOKEN;
    return;
  }
  t->attempt_headers = headers;
  t->easy = ko_engine_take_easy(t->engine);
  if (!t->easy) goto oom;
  t->errbuf[0] = '\0';
  /* headers of an earlier attempt point into the buffer reused below */
  free(t->result.headers);
  t->result.headers = NULL;
  t->result.nheaders = 0;
  t->result.retry_after_ms = -1;
  t->resp_body.len = 0;
  t->resp_headers.len = 0;
  t->too_large = 0;
  int rc = configure_easy(t, t->easy);
  if (rc != 0) {
    ko_transfer_fail(t, KO_ERR_PROTOCOL, "setup",
                     "libcurl refused an option: %s",
                     curl_easy_strerror((CURLcode)rc));
    return;
  }
  trace_request(t);
  if (curl_multi_add_handle(t->engine->multi, t->easy) != CURLM_OK) {
    ko_transfer_fail(t, KO_ERR_PROTOCOL, "setup",
                     "libcurl could not queue the request");
    return;
  }
  t->state = KO_T_RUNNING;
  return;
oom:
  ko_slist_free_wiped(headers);
  ko_transfer_fail(t, KO_ERR_PROTOCOL, "setup", "out of memory");
}

/* Detaches the current attempt's easy handle and header list. */
static void end_attempt(ko_transfer *t) {
  if (t->easy) {
    if (t->state == KO_T_RUNNING)
      curl_multi_remove_handle(t->engine->multi, t->easy);
    ko_engine_give_easy(t->engine, t->easy);
    t->easy = NULL;
  }
  ko_slist_free_wiped(t->attempt_headers);
  t->attempt_headers = NULL;
}

/* ---- completion ---------------------------------------------------------- */

/* Splits the raw header block into name/value pairs, in place. */
static void parse_headers(ko_transfer *t) {
  ko_result *r = &t->result;
  free(r->headers);
  r->headers = NULL;
  r->nheaders = 0;
  if (!t->resp_headers.data) return;
  size_t cap = 0;
  for (size_t i = 0; i < t->resp_headers.len; i++)
    if (t->resp_headers.data[i] == '\n') cap++;
  r->headers = calloc(cap + 1, sizeof *r->headers);
  if (!r->headers) return;
  char *line = t->resp_headers.data;
  while (line && *line) {
    char *eol = strchr(line, '\n');
    if (eol) *eol = '\0';
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r') line[--len] = '\0';
    char *colon = strchr(line, ':');
    if (colon && strncmp(line, "HTTP/", 5) != 0) {
      *colon = '\0';
      char *value = colon + 1;
      while (*value == ' ' || *value == '\t') value++;
      r->headers[r->nheaders].name = line;
      r->headers[r->nheaders].value = value;
      r->nheaders++;
    }
    line = eol ? eol + 1 : NULL;
  }
}

static void finish(ko_transfer *t) {
  ko_result *r = &t->result;
  end_attempt(t);
  r->body = t->resp_body.data;
  r->body_len = t->resp_body.len;
  r->elapsed = ko_now() - t->started_at;
  t->state = KO_T_DONE;
  ko_engine_unlink(t->engine, t);
  if (t->internal) {
    ko_auth_token_done(t);
    return;
  }
  ko_engine_note_done(t->engine, t->id);
  if (r->kind == KO_OK)
    ko_engine_emit(t->engine, t->client, t, "response",
                   "%s %s -> %ld in %.3f s after %d attempt(s)", t->method,
                   t->url, r->status, r->elapsed, r->attempts);
  else
    ko_engine_emit(t->engine, t->client, t, "error", "%s %s -> %s: %s",
                   t->method, t->url, ko_error_kind_name(r->kind), r->message);
}

void ko_transfer_fail(ko_transfer *t, ko_error_kind kind, const char *phase,
                      const char *fmt, ...) {
  ko_result *r = &t->result;
  r->kind = kind;
  r->phase = phase;
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive */
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
  finish(t);
}

/* What one attempt's outcome means: kind, phase, whether a retry is safe. */
typedef struct verdict {
  ko_error_kind kind;
  const char *phase;
  int retryable;
  char message[768];
} verdict;

static const char *const unknown_hint =
    "the request reached the server, so the launch may or may not have "
    "happened: check the run's status or list recent runs before launching "
    "again";

static int is_tls_error(CURLcode code) {
  switch (code) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_CIPHER:
    return 1;
  default:
    return 0;
  }
}

static void judge_transport(ko_transfer *t, CURLcode code, verdict *v) {
  long sent = 0;
  curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
  const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY) {
    *v = (verdict){KO_ERR_NETWORK, "resolve", 1, ""};
    snprintf(v->message, sizeof v->message,
             "could not resolve the host (%s); nothing was sent", detail);
  } else if (code == CURLE_COULDNT_CONNECT) {
    *v = (verdict){KO_ERR_NETWORK, "connect", 1, ""};
    snprintf(v->message, sizeof v->message,
             "could not connect (%s); nothing was sent", detail);
  } else if (is_tls_error(code)) {
    *v = (verdict){KO_ERR_TLS, "tls", 0, ""};
    snprintf(v->message, sizeof v->message,
             "TLS handshake or certificate verification failed (%s); nothing "
             "was sent. If the server uses a private CA, pass ca_file or "
             "ca_path",
             detail);
  } else if (code == CURLE_WRITE_ERROR && t->too_large) {
    *v = (verdict){KO_ERR_PROTOCOL, "receive", 0, ""};
    snprintf(v->message, sizeof v->message,
             "response body larger than %zu bytes; aborted",
             KO_MAX_RESPONSE_BYTES);
  } else if (code == CURLE_ABORTED_BY_CALLBACK && t->resend_refused) {
    *v = (verdict){KO_ERR_OUTCOME_UNKNOWN, "receive", 0, ""};
    snprintf(v->message, sizeof v->message,
             "the connection closed after the request was sent and before any "
             "response; %s",
             unknown_hint);
  } else if (code == CURLE_OPERATION_TIMEDOUT && sent == 0) {
    *v = (verdict){KO_ERR_TIMEOUT, "connect", 1, ""};
    snprintf(v->message, sizeof v->message,
             "timed out before the request was sent (%s)", detail);
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    *v = (verdict){t->idempotent ? KO_ERR_TIMEOUT : KO_ERR_OUTCOME_UNKNOWN,
                   "response", t->idempotent, ""};
    snprintf(v->message, sizeof v->message,
             "timed out waiting for the response (%s)%s%s", detail,
             t->idempotent ? "" : "; ", t->idempotent ? "" : unknown_hint);
  } else if (sent == 0) {
    *v = (verdict){KO_ERR_NETWORK, "connect", 1, ""};
    snprintf(v->message, sizeof v->message,
             "connection failed before the request was sent (%s)", detail);
  } else {
    *v = (verdict){t->idempotent ? KO_ERR_NETWORK : KO_ERR_OUTCOME_UNKNOWN,
                   "receive", t->idempotent, ""};
    snprintf(v->message, sizeof v->message,
             "connection failed after the request was sent (%s)%s%s", detail,
             t->idempotent ? "" : "; ", t->idempotent ? "" : unknown_hint);
  }
}

static void judge_status(ko_transfer *t, long status, verdict *v) {
  if (status == 401 || status == 403) {
    *v = (verdict){KO_ERR_AUTH, "http", 0, ""};
    snprintf(v->message, sizeof v->message,
             "HTTP %ld: the credentials were rejected%s", status,
             status == 403 ? " or lack a permission" : "");
  } else if (status == 429) {
    /* refused, so not acted on: safe to retry even for launches */
    *v = (verdict){KO_ERR_RATE_LIMITED, "http", 1, ""};
    snprintf(v->message, sizeof v->message, "HTTP 429: rate limited");
  } else if (status == 408 || status == 500 || status == 502 ||
             status == 503 || status == 504) {
    *v = (verdict){KO_ERR_HTTP, "http", t->idempotent, ""};
    snprintf(v->message, sizeof v->message, "HTTP %ld from the server%s%s",
             status, t->idempotent ? "" : "; ", t->idempotent ? "" : unknown_hint);
  } else {
    *v = (verdict){KO_ERR_HTTP, "http", 0, ""};
    snprintf(v->message, sizeof v->message, "HTTP %ld", status);
  }
}

static void schedule_retry(ko_transfer *t, const verdict *v, long delay_ms) {
  if (park(t, ko_now() + (double)delay_ms / 1000.0) != 0) return;
  ko_engine_emit(t->engine, t->client, t, "retry",
                 "%s %s attempt %d failed (%s: %s); retrying in %ld ms",
                 t->method, t->url, t->result.attempts,
                 ko_error_kind_name(v->kind), v->message, delay_ms);
}

void ko_transfer_on_done(ko_transfer *t, CURLcode code) {
  ko_result *r = &t->result;
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  r->attempts++;
  r->curl_code = (int)code;
  r->status = code == CURLE_OK ? status : 0;
  verdict v;
  if (code == CURLE_OK) {
    parse_headers(t);
    if (status >= 200 && status < 300) {
      ko_budget_refund(t->client, t->budget_taken);
      t->budget_taken = 0;
      r->kind = KO_OK;
      r->phase = NULL;
      r->message[0] = '\0';
      finish(t);
      return;
    }
    judge_status(t, status, &v);
    const char *ra = ko_result_header(r, "Retry-After");
    r->retry_after_ms = ra ? ko_parse_retry_after(ra, (long)time(NULL)) : -1;
  } else {
    judge_transport(t, code, &v);
  }
  end_attempt(t);
  if (status == 401 && ko_auth_on_unauthorized(t)) return;

  long delay = -1;
  if (v.retryable && r->attempts < t->policy.max_attempts) {
    delay = ko_backoff_ms(&t->policy, r->attempts - 1, &t->engine->rng);
    if (r->retry_after_ms > t->policy.retry_after_cap_ms) {
      delay = -1; /* longer than we will wait: let the caller decide */
      snprintf(v.message + strlen(v.message),
               sizeof v.message - strlen(v.message),
               "; Retry-After %ld s exceeds the %ld s cap",
               r->retry_after_ms / 1000, t->policy.retry_after_cap_ms / 1000);
    } else if (r->retry_after_ms > delay) {
      delay = r->retry_after_ms;
    }
    if (delay >= 0 && delay >= remaining_ms(t)) {
      snprintf(v.message + strlen(v.message),
               sizeof v.message - strlen(v.message),
               "; no retry: the %ld ms deadline would pass",
               t->policy.deadline_ms);
      delay = -1;
    }
    if (delay >= 0 && !ko_budget_take(t->client, v.kind, &t->budget_taken)) {
      snprintf(v.message + strlen(v.message),
               sizeof v.message - strlen(v.message),
               "; no retry: this client's retry budget is spent by many "
               "recent failures (it refills as requests succeed)");
      delay = -1;
    }
  }
  if (delay >= 0) {
    schedule_retry(t, &v, delay);
    return;
  }
  r->retryable = v.retryable;
  ko_transfer_fail(t, v.kind, v.phase, "%s", v.message);
}

void ko_transfer_wake_due(ko_engine *e, double now) {
  ko_transfer *t;
  while ((t = ko_timer_pop_due(e, now))) ko_transfer_start_attempt(t);
}

/* ---- teardown ------------------------------------------------------------ */

static void remove_waiter(ko_transfer *t) {
  ko_transfer **p = &t->client->token_waiters;
  while (*p && *p != t) p = &(*p)->next_waiter;
  if (*p) *p = t->next_waiter;
  t->next_waiter = NULL;
}

void ko_transfer_free(ko_transfer *t) {
  if (!t) return;
  if (t->state == KO_T_WAIT_TOKEN) remove_waiter(t);
  ko_timer_remove(t->engine, t);
  end_attempt(t);
  ko_engine_unlink(t->engine, t);
  t->state = KO_T_DONE;
  free(t->method);
  free(t->url);
  ko_slist_free_wiped(t->user_headers);
  ko_buf_free(&t->body, t->body_secret);
  /* a token response holds the access token */
  ko_buf_free(&t->resp_body, t->internal);
  ko_buf_free(&t->resp_headers, 0);
  free(t->result.headers);
  if (!t->internal) ko_client_release(t->client);
  free(t);
}
