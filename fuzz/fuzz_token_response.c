/* fuzz_token_response: the OAuth 2.0 token response (Zuora), sent by the
 * server.
 *
 * Calls ko_parse_token_response(body, len) (src/auth.c; jansson underneath).
 * Input: the raw response body, any bytes. Properties: success means a
 * non-empty NUL-terminated token equal to the JSON access_token string and an
 * expires_in of at least 1 s (3600 when absent or not a number); a refusal
 * returns no token and a reason, and only when the body is not a JSON
 * object with a non-empty access_token string.
 * Seeds: fuzz/corpus/fuzz_token_response/. Run: make fuzz FUZZ_TARGETS=fuzz_token_response
 */
#include <jansson.h>

#include "fuzz.h"

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *token = NULL;
  double expires_in = 0;
  char why[256];
  int rc = ko_parse_token_response((const char *)data, size, &token, &expires_in, why, sizeof why);

  /* an independent reading of the same body */
  json_error_t jerr;
  json_t *root = json_loadb((const char *)data, size, 0, &jerr);
  const char *want = json_string_value(json_object_get(root, "access_token"));
  if (rc == 0) {
    FUZZ_CHECK(token && *token, "empty token");
    FUZZ_CHECK(want && strcmp(token, want) == 0, "token differs from access_token");
    FUZZ_CHECK(expires_in >= 1, "expires_in %g", expires_in);
    json_t *exp = json_object_get(root, "expires_in");
    if (!json_is_number(exp)) FUZZ_CHECK(expires_in == 3600, "default %g", expires_in);
    ko_wipe(token, strlen(token));
    free(token);
  } else {
    FUZZ_CHECK(rc == -1 && token == NULL, "rc %d", rc);
    FUZZ_CHECK(memchr(why, 0, sizeof why) && *why, "no reason");
    FUZZ_CHECK(!want || !*want, "valid access_token refused: %s", why);
  }
  json_decref(root);
  return 0;
}
