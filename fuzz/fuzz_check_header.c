/* fuzz_check_header: request-head checks on caller-supplied text.
 *
 * Calls ko_check_header(name, value), ko_check_method(name) and
 * ko_header_is_secret("name: value", vendor) for every vendor (src/safety.c).
 * Input: name NUL value. Properties: an accepted header name is all HTTP
 * token characters, an accepted value has no CR, LF or other control byte
 * but TAB (so it cannot split the request), and a refusal always comes with
 * a NUL-terminated message that fits the buffer, also when it is tiny.
 * Seeds: fuzz/corpus/fuzz_check_header/. Run: make fuzz FUZZ_TARGETS=fuzz_check_header
 */
#include <strings.h>

#include "fuzz.h"

#include "internal.h"

static int is_token_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  char *name = fuzz_field(&in);
  char *value = fuzz_field(&in);
  char err[256];
  char tiny[8];

  int header_ok = ko_check_header(name, value, err, sizeof err);
  FUZZ_CHECK(header_ok == 0 || header_ok == -1, "rc %d", header_ok);
  if (header_ok == 0) {
    FUZZ_CHECK(*name, "empty name accepted");
    for (const char *p = name; *p; p++)
      FUZZ_CHECK(is_token_char((unsigned char)*p), "name byte 0x%02x", (unsigned char)*p);
    for (const char *p = value; *p; p++) {
      unsigned char c = (unsigned char)*p;
      FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f), "value byte 0x%02x", c);
    }
  } else {
    FUZZ_CHECK(memchr(err, 0, sizeof err) && *err, "no message");
    FUZZ_CHECK(ko_check_header(name, value, tiny, sizeof tiny) == -1, "not stable");
    FUZZ_CHECK(memchr(tiny, 0, sizeof tiny), "message overran a small buffer");
  }

  int method_ok = ko_check_method(name, err, sizeof err);
  if (method_ok == 0)
    for (const char *p = name; *p; p++)
      FUZZ_CHECK(is_token_char((unsigned char)*p), "method byte 0x%02x", (unsigned char)*p);

  /* the redaction test runs on every header line of a request */
  size_t n = strlen(name) + strlen(value) + 3;
  char *line = malloc(n);
  if (!line) abort();
  snprintf(line, n, "%s: %s", name, value);
  for (size_t i = 0; ko_vendor_at(i); i++) {
    const ko_vendor *v = ko_vendor_at(i);
    int secret = ko_header_is_secret(line, v);
    if (v->auth_header && strcasecmp(name, v->auth_header) == 0)
      FUZZ_CHECK(secret, "vendor %s auth header %s not redacted", v->name, name);
    if (strcasecmp(name, "Authorization") == 0 || strcasecmp(name, "Cookie") == 0)
      FUZZ_CHECK(secret, "%s not redacted", name);
  }
  FUZZ_CHECK(!ko_header_is_secret(line, NULL) || strchr(line, ':'), "secret without a colon");
  free(line);
  free(name);
  free(value);
  return 0;
}
