/* Per-vendor authentication: static header tokens, API key + project
 * headers, a token written into the body, and OAuth 2.0 client credentials
 * with a shared, single-flight token cache refreshed ahead of expiry. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Appends "name: prefix+secret" without leaving an unwiped copy behind. */
static int add_secret_header(struct curl_slist **headers, const char *name,
                             const char *prefix, const char *secret) {
  size_t n = strlen(name) + strlen(prefix) + strlen(secret) + 3;
  char *line = malloc(n);
  if (!line) return -1;
  snprintf(line, n, "%s: %s%s", name, prefix, secret);
  struct curl_slist *grown = curl_slist_append(*headers, line);
  ko_wipe(line, n);
  free(line);
  if (!grown) return -1;
  *headers = grown;
  return 0;
}

/* ---- OAuth client credentials -------------------------------------------- */

static int token_fresh(const ko_client *c) {
  return c->access_token && ko_now() < c->token_expires_at;
}

static void drop_token(ko_client *c) {
  if (c->access_token) {
    ko_wipe(c->access_token, strlen(c->access_token));
    free(c->access_token);
    c->access_token = NULL;
  }
  c->token_expires_at = 0;
}

static void url_encode(ko_buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
      ko_buf_append(out, p, 1);
    } else {
      char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      ko_buf_append(out, esc, 3);
    }
  }
}

static void start_token_fetch(ko_client *c) {
  ko_transfer *t = ko_transfer_alloc(c);
  if (!t) return;
  t->internal = 1;
  t->idempotent = 1; /* asking for a token twice has no side effect */
  t->body_secret = 1;
  t->policy = c->policy;
  size_t n = strlen(c->base_url) + strlen(c->vendor->token_path) + 1;
  t->method = strdup("POST");
  t->url = malloc(n);
  if (t->url) snprintf(t->url, n, "%s%s", c->base_url, c->vendor->token_path);
  ko_buf_append(&t->body, "client_id=", 10);
  url_encode(&t->body, c->client_id);
  ko_buf_append(&t->body, "&client_secret=", 15);
  url_encode(&t->body, c->secret);
  ko_buf_append(&t->body, "&grant_type=client_credentials", 30);
  struct curl_slist *h = curl_slist_append(
      NULL, "Content-Type: application/x-www-form-urlencoded");
  if (h) h = curl_slist_append(h, "Accept: application/json");
  if (h) h = curl_slist_append(h, "Expect:");
  t->user_headers = h;
  t->started_at = ko_now();
  t->deadline_at = t->started_at + (double)t->policy.deadline_ms / 1000.0;
  c->token_fetch = t;
  c->token_requests++;
  ko_engine_link(c->engine, t);
  if (!t->method || !t->url || !h || !t->body.data) {
    ko_transfer_fail(t, KO_ERR_PROTOCOL, "token", "out of memory");
    return;
  }
  ko_engine_emit(c->engine, c, t, "token", "POST %s (client credentials)",
                 t->url);
  ko_transfer_start_attempt(t);
}

int ko_auth_prepare(ko_transfer *t, struct curl_slist **headers) {
  ko_client *c = t->client;
  const ko_vendor *v = c->vendor;
  switch (v->auth) {
  case KO_AUTH_NONE:
  case KO_AUTH_BODY_FIELD:
    return 0;
  case KO_AUTH_HEADER:
  case KO_AUTH_APIKEY_PROJECT:
    if (add_secret_header(headers, v->auth_header, v->auth_prefix, c->secret) ||
        (v->project_header &&
         add_secret_header(headers, v->project_header, "", c->project_id))) {
      ko_transfer_fail(t, KO_ERR_PROTOCOL, "setup", "out of memory");
      return -1;
    }
    return 0;
  case KO_AUTH_OAUTH_CC:
    if (t->internal) return 0;
    if (token_fresh(c)) {
      t->token_generation_used = c->token_generation;
      if (add_secret_header(headers, v->auth_header, v->auth_prefix,
                            c->access_token)) {
        ko_transfer_fail(t, KO_ERR_PROTOCOL, "setup", "out of memory");
        return -1;
      }
      return 0;
    }
    /* queue behind the one token request (single flight) */
    t->next_waiter = c->token_waiters;
    c->token_waiters = t;
    t->state = KO_T_WAIT_TOKEN;
    if (!c->token_fetch) start_token_fetch(c);
    return -1;
  }
  return 0;
}

int ko_auth_on_unauthorized(ko_transfer *t) {
  ko_client *c = t->client;
  if (c->vendor->auth != KO_AUTH_OAUTH_CC || t->internal || t->auth_retried)
    return 0;
  t->auth_retried = 1;
  /* only the first 401 seen for a token drops it: a storm of 401s from
   * requests that used the same token causes one refresh */
  if (c->token_generation == t->token_generation_used) drop_token(c);
  ko_engine_emit(c->engine, c, t, "retry",
                 "%s %s got 401; retrying once with a fresh token", t->method,
                 t->url);
  ko_transfer_start_attempt(t);
  return 1;
}

int ko_parse_token_response(const char *body, size_t len, char **token,
                            double *expires_in, char *why, size_t whylen) {
  json_error_t jerr;
  json_t *root = json_loadb(body, len, 0, &jerr);
  int rc = -1;
  const char *tok = NULL;
  *token = NULL;
  if (!root || !json_is_object(root)) {
    snprintf(why, whylen, "token response is not a JSON object");
    goto out;
  }
  tok = json_string_value(json_object_get(root, "access_token"));
  if (!tok || !*tok) {
    snprintf(why, whylen, "token response has no access_token");
    goto out;
  }
  json_t *exp = json_object_get(root, "expires_in");
  *expires_in = json_is_number(exp) ? json_number_value(exp) : 3600.0;
  /* at least a second: a token that expires before the queued requests use
   * it would send each of them back for another one, again and again */
  if (*expires_in < 1) *expires_in = 1;
  *token = strdup(tok);
  if (!*token) {
    snprintf(why, whylen, "out of memory");
    goto out;
  }
  rc = 0;
out:
  /* jansson's copy of the token is wiped before it is freed */
  if (tok) ko_wipe((char *)(uintptr_t)tok, strlen(tok));
  json_decref(root);
  return rc;
}

static int store_token(ko_client *c, const ko_result *r, char *why,
                       size_t whylen) {
  char *tok;
  double expires_in;
  if (ko_parse_token_response(r->body ? r->body : "", r->body_len, &tok,
                              &expires_in, why, whylen) != 0)
    return -1;
  /* refresh ahead of expiry: 10% of the lifetime, at most 5 minutes */
  double margin = expires_in / 10.0;
  if (margin > 300) margin = 300;
  drop_token(c);
  c->access_token = tok;
  c->token_expires_at = ko_now() + expires_in - margin;
  c->token_generation++;
  return 0;
}

void ko_auth_token_done(ko_transfer *tt) {
  ko_client *c = tt->client;
  const ko_result *r = &tt->result;
  c->token_fetch = NULL;
  char why[sizeof tt->result.message + 64] = "";
  ko_error_kind kind = r->kind;
  /* OAuth token endpoints refuse bad client credentials with 400 (RFC 6749
   * invalid_client) or 401: an auth error. One that is down or rate limited
   * keeps its kind, and the request, never sent, may be retried. */
  int rejected = r->status == 400 || r->status == 401 || r->status == 403;
  if (kind == KO_OK && store_token(c, r, why, sizeof why) != 0) {
    kind = KO_ERR_PROTOCOL;
  } else if (kind != KO_OK) {
    if (rejected) kind = KO_ERR_AUTH;
    snprintf(why, sizeof why, "%s%s", r->message,
             rejected ? " (check client_id and client_secret)" : "");
  }
  ko_transfer *waiters = c->token_waiters;
  c->token_waiters = NULL;
  long status = r->status;
  int retryable = kind != KO_ERR_AUTH && r->retryable;
  long retry_after_ms = r->retry_after_ms;
  ko_transfer_free(tt);
  while (waiters) {
    ko_transfer *w = waiters;
    waiters = w->next_waiter;
    w->next_waiter = NULL;
    if (kind == KO_OK) {
      ko_engine_emit(c->engine, c, w, "token", "token obtained");
      ko_transfer_start_attempt(w);
    } else {
      w->result.status = status;
      w->result.retryable = retryable;
      w->result.retry_after_ms = retry_after_ms;
      ko_transfer_fail(w, kind, "token",
                       "could not obtain an OAuth token (the request was not "
                       "sent): %s",
                       why);
    }
  }
}

void ko_auth_client_free(ko_client *c) {
  if (c->token_fetch) {
    ko_transfer *tt = c->token_fetch;
    c->token_fetch = NULL;
    ko_transfer_free(tt);
  }
  drop_token(c);
}

/* ---- token in the body (Domo Campaigns) ---------------------------------- */

/* Whether s is UTF-8 as JSON requires (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static int is_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned cp = *p++, min;
    int more;
    if (cp < 0x80) continue;
    if (cp >= 0xC2 && cp <= 0xDF) {
      more = 1; min = 0x80; cp &= 0x1F;
    } else if ((cp & 0xF0) == 0xE0) {
      more = 2; min = 0x800; cp &= 0x0F;
    } else if (cp >= 0xF0 && cp <= 0xF4) {
      more = 3; min = 0x10000; cp &= 0x07;
    } else {
      return 0;
    }
    for (; more > 0; more--, p++) {
      if ((*p & 0xC0) != 0x80) return 0; /* also stops at the NUL */
      cp = (cp << 6) | (*p & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  }
  return 1;
}

int ko_auth_inject_body(ko_client *c, ko_buf *body, char *err, size_t errlen) {
  const char *field = c->vendor->body_secret_field;
  /* written into the body as is, so it must be JSON string content */
  if (!is_utf8(c->secret)) {
    snprintf(err, errlen, "token: is not valid UTF-8, so it cannot be sent in a JSON body");
    return -1;
  }
  json_error_t jerr;
  /* "\u0000" is valid JSON, and jansson refuses it unless told */
  json_t *root = json_loadb(body->data, body->len, JSON_ALLOW_NUL, &jerr);
  int ok = root && json_is_object(root) && !json_object_get(root, field);
  int empty = ok && json_object_size(root) == 0;
  json_decref(root);
  if (!ok) {
    snprintf(err, errlen,
             "body: must be a JSON object without a %s field (the client adds "
             "it)",
             field);
    return -1;
  }
  /* splice the field in as text, so no JSON library keeps a copy of the
   * secret in memory we cannot wipe */
  ko_buf out = {0};
  const char *p = strchr(body->data, '{');
  int fail = ko_buf_append(&out, "{\"", 2) || ko_buf_append(&out, field, strlen(field)) ||
             ko_buf_append(&out, "\":\"", 3);
  for (const char *s = c->secret; !fail && *s; s++) {
    if (*s == '"' || *s == '\\') fail |= ko_buf_append(&out, "\\", 1);
    fail |= ko_buf_append(&out, s, 1);
  }
  fail = fail || ko_buf_append(&out, "\"", 1) ||
         (!empty && ko_buf_append(&out, ",", 1)) ||
         ko_buf_append(&out, p + 1, body->len - (size_t)(p + 1 - body->data));
  if (fail) {
    ko_buf_free(&out, 1);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  ko_buf_free(body, 1);
  *body = out;
  return 0;
}
