/* fuzz_body_token: the Domo Campaigns token splice into a JSON body.
 *
 * Calls ko_auth_inject_body(client, body) (src/auth.c), which checks the
 * caller's body with jansson and then writes "domoAccessToken":"<token>" into
 * it as text, so no JSON library holds a copy of the secret. Input: token
 * suffix NUL body (the body keeps its length and may hold any bytes). The
 * token is "SeCrEt" + suffix, used when ko_client_new accepts it.
 * Properties: a body is accepted exactly when it is a JSON object without
 * that field ("\u0000" in a string included: it was once refused) and the
 * token is valid UTF-8 (ko_client_new takes any byte but
 * controls, and a token with invalid UTF-8 once made an invalid JSON body);
 * the result is valid JSON equal to the original object plus the field
 * holding the exact token; a refusal never echoes the token.
 * Seeds: fuzz/corpus/fuzz_body_token/. Run: make fuzz FUZZ_TARGETS=fuzz_body_token
 */
#include <jansson.h>

#include "fuzz.h"

#include "internal.h"

#define MARK "SeCrEt"

static ko_engine *engine;

static ko_client *campaigns_client(const char *token) {
  ko_client_opts opts = {.vendor = ko_vendor_find("campaigns"), .secret = token};
  ko_policy_defaults(&opts.policy);
  char err[512];
  return ko_client_new(engine, &opts, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  if (!engine && !(engine = ko_engine_new(err, sizeof err))) abort();
  fuzz_input in = {data, size};
  char *suffix = fuzz_field(&in);
  size_t tlen = strlen(MARK) + strlen(suffix) + 1;
  char *token = malloc(tlen);
  if (!token) abort();
  snprintf(token, tlen, "%s%s", MARK, suffix);
  ko_client *c = campaigns_client(token);
  if (!c) {
    snprintf(token, tlen, "%s", MARK);
    c = campaigns_client(token);
  }
  FUZZ_CHECK(c, "no client");
  const char *field = ko_client_vendor(c)->body_secret_field;

  ko_buf body = {0};
  if (ko_buf_set(&body, in.data, in.size)) abort();
  json_error_t jerr;
  json_t *orig = json_loadb((const char *)in.data, in.size, JSON_ALLOW_NUL, &jerr);
  json_t *as_string = json_string(token); /* NULL unless valid UTF-8 */
  int acceptable = as_string && json_is_object(orig) && !json_object_get(orig, field);
  json_decref(as_string);

  int rc = ko_auth_inject_body(c, &body, err, sizeof err);
  FUZZ_CHECK((rc == 0) == acceptable, "rc %d for a body that is%s acceptable", rc,
             acceptable ? "" : " not");
  if (rc == 0) {
    FUZZ_CHECK(body.data && body.data[body.len] == '\0', "not terminated");
    json_t *out = json_loadb(body.data, body.len, JSON_ALLOW_NUL, &jerr);
    FUZZ_CHECK(json_is_object(out), "spliced body is not a JSON object: %s", jerr.text);
    const char *got = json_string_value(json_object_get(out, field));
    FUZZ_CHECK(got && strcmp(got, token) == 0, "token not carried exactly");
    json_object_del(out, field);
    FUZZ_CHECK(json_equal(out, orig), "other fields changed");
    json_decref(out);
  } else {
    FUZZ_CHECK(!strstr(err, MARK), "error echoes the token");
  }
  json_decref(orig);
  ko_buf_free(&body, 1);
  ko_client_release(c);
  free(token);
  free(suffix);
  return 0;
}
