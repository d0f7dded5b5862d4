/* A client: one vendor account on an engine. It owns the credentials (kept
 * in C, never readable back, wiped on free) and the default policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ko_policy_defaults(ko_policy *p) {
  /* reliability-anchors.md §7: Stripe timeouts, Google deadline, Stripe
   * backoff and Retry-After cap, three attempts */
  p->timeout_ms = 80000;
  p->connect_timeout_ms = 30000;
  p->deadline_ms = 120000;
  p->max_attempts = 3;
  p->backoff_base_ms = 500;
  p->backoff_cap_ms = 5000;
  p->retry_after_cap_ms = 60000;
}

static int dup_checked(char **dst, const char *src) {
  if (!src) return 0;
  *dst = strdup(src);
  return *dst ? 0 : -1;
}

static void wipe_free(char *s) {
  if (s) ko_wipe(s, strlen(s));
  free(s);
}

static void client_free(ko_client *c) {
  ko_auth_client_free(c);
  wipe_free(c->secret);
  free(c->base_url);
  free(c->client_id);
  free(c->project_id);
  free(c->ca_file);
  free(c->ca_path);
  free(c->proxy);
  free(c->user_agent);
  ko_engine_release(c->engine);
  free(c);
}

static int check_secret(const char *what, const char *value, char *err,
                        size_t errlen) {
  if (!value || !*value) {
    snprintf(err, errlen, "%s: required and must be a non-empty string", what);
    return -1;
  }
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    if (*p < 0x20 || *p == 0x7f) {
      /* the value itself is never echoed */
      snprintf(err, errlen, "%s: contains a control character", what);
      return -1;
    }
  }
  return 0;
}

static int check_credentials(const ko_client_opts *o, char *err, size_t errlen) {
  switch (o->vendor->auth) {
  case KO_AUTH_NONE:
    return 0;
  case KO_AUTH_HEADER:
  case KO_AUTH_BODY_FIELD:
    return check_secret("token", o->secret, err, errlen);
  case KO_AUTH_APIKEY_PROJECT:
    if (check_secret("api_key", o->secret, err, errlen)) return -1;
    return check_secret("project_id", o->project_id, err, errlen);
  case KO_AUTH_OAUTH_CC:
    if (check_secret("client_id", o->client_id, err, errlen)) return -1;
    return check_secret("client_secret", o->secret, err, errlen);
  }
  return 0;
}

ko_client *ko_client_new(ko_engine *engine, const ko_client_opts *o, char *err,
                         size_t errlen) {
  if (!o->vendor) {
    snprintf(err, errlen, "vendor: unknown");
    return NULL;
  }
  const char *base = o->base_url ? o->base_url : o->vendor->default_base_url;
  if (!base) {
    snprintf(err, errlen, "base_url: required for vendor %s", o->vendor->name);
    return NULL;
  }
  if (ko_check_url(base, err, errlen) != 0) return NULL;
  if (check_credentials(o, err, errlen) != 0) return NULL;
  if (o->user_agent && ko_check_header("User-Agent", o->user_agent, err, errlen))
    return NULL;

  ko_client *c = calloc(1, sizeof *c);
  if (!c) goto oom;
  c->refs = 1;
  c->engine = engine;
  ko_engine_retain(engine);
  c->id = ++engine->next_id;
  c->vendor = o->vendor;
  c->policy = o->policy;
  c->trace = o->trace;
  ko_limits_init(c, o);
  /* strip trailing slashes so paths can always start with one */
  c->base_url = strdup(base);
  if (!c->base_url) goto oom;
  for (size_t n = strlen(c->base_url); n > 0 && c->base_url[n - 1] == '/'; n--)
    c->base_url[n - 1] = '\0';
  if (dup_checked(&c->secret, o->secret) || dup_checked(&c->client_id, o->client_id) ||
      dup_checked(&c->project_id, o->project_id) ||
      dup_checked(&c->ca_file, o->ca_file) || dup_checked(&c->ca_path, o->ca_path) ||
      dup_checked(&c->proxy, o->proxy))
    goto oom;
  if (dup_checked(&c->user_agent,
                  o->user_agent ? o->user_agent : "kickoff/" KO_VERSION))
    goto oom;
  return c;
oom:
  snprintf(err, errlen, "out of memory");
  if (c) client_free(c);
  return NULL;
}

void ko_client_retain(ko_client *c) { c->refs++; }

void ko_client_release(ko_client *c) {
  if (c && --c->refs == 0) client_free(c);
}

uint64_t ko_client_id(const ko_client *c) { return c->id; }
const char *ko_client_base_url(const ko_client *c) { return c->base_url; }
const ko_vendor *ko_client_vendor(const ko_client *c) { return c->vendor; }
unsigned long ko_client_token_requests(const ko_client *c) {
  return c->token_requests;
}
