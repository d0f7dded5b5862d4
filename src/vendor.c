/* The vendor table: everything vendor-specific the C core needs to know.
 * Adding a vendor means adding a descriptor here, not new control flow. */
#include <string.h>

#include "kickoff.h"

/* Zuora's REST hosts by data centre (vendor-apis.md §2.1). */
static const ko_named_host zuora_hosts[] = {
    {"us-central-sandbox", "https://rest.test.zuora.com"},
    {"us-sandbox-cloud1", "https://rest.sandbox.na.zuora.com"},
    {"us-sandbox-cloud2", "https://rest.apisandbox.zuora.com"},
    {"us-production-cloud1", "https://rest.na.zuora.com"},
    {"us-production-cloud2", "https://rest.zuora.com"},
    {"eu-central-sandbox", "https://rest.test.eu.zuora.com"},
    {"eu-sandbox", "https://rest.sandbox.eu.zuora.com"},
    {"eu-production", "https://rest.eu.zuora.com"},
    {"ap-central-sandbox", "https://rest.test.ap.zuora.com"},
    {"ap-production", "https://rest.ap.zuora.com"},
    {NULL, NULL}};

static const ko_vendor vendors[] = {
    {.name = "domo",
     .auth = KO_AUTH_HEADER,
     .auth_header = "X-DOMO-Developer-Token",
     .auth_prefix = ""},
    {.name = "zuora",
     .auth = KO_AUTH_OAUTH_CC,
     .auth_header = "Authorization",
     .auth_prefix = "Bearer ",
     .token_path = "/oauth/token",
     .request_id_header = "Zuora-Request-Id",
     .idempotency_header = "Idempotency-Key",
     .hosts = zuora_hosts,
     .gzip_requests = 1},
    {.name = "campaigns",
     .auth = KO_AUTH_BODY_FIELD,
     .body_secret_field = "domoAccessToken",
     .default_base_url = "https://campaigns-prod.domolabs.io"},
    {.name = "captaindata",
     .auth = KO_AUTH_APIKEY_PROJECT,
     .auth_header = "Authorization",
     .auth_prefix = "x-api-key ",
     .project_header = "x-project-id",
     .default_base_url = "https://api.captaindata.co"},
    /* no credentials: plain calls, e.g. to a sandbox admin API */
    {.name = "http", .auth = KO_AUTH_NONE},
};

#define NVENDORS (sizeof vendors / sizeof vendors[0])

const ko_vendor *ko_vendor_at(size_t index) {
  return index < NVENDORS ? &vendors[index] : NULL;
}

const ko_vendor *ko_vendor_find(const char *name) {
  for (size_t i = 0; i < NVENDORS; i++)
    if (strcmp(vendors[i].name, name) == 0) return &vendors[i];
  return NULL;
}

const char *ko_error_kind_name(ko_error_kind kind) {
  static const char *const names[] = {
      "ok",      "validation", "auth", "rate_limited",    "http",
      "network", "timeout",    "tls",  "outcome_unknown", "protocol",
      "canceled"};
  return (size_t)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}
