/* fuzz_check_url: the URL policy on caller- and server-supplied URLs.
 *
 * Calls ko_check_url(url) and ko_is_loopback_host(host) (src/safety.c); base
 * URLs come from callers and paging links from servers. Input: url NUL host.
 * Properties: an accepted URL has no byte <= 0x20 or 0x7f, uses https, or
 * http only to a host that ko_is_loopback_host accepts (checked again with
 * libcurl's own parse, and a strict loopback test of the host it returns),
 * and carries no user:password; every strict loopback host is accepted.
 * Seeds: fuzz/corpus/fuzz_check_url/. Run: make fuzz FUZZ_TARGETS=fuzz_check_url
 */
#include <strings.h>

#include "fuzz.h"

#include "internal.h"

/* An independent, strict reading of "loopback": localhost, ::1, or 127.x.y.z
 * written as plain decimal parts without leading zeros, each < 256. Looser
 * spellings are names to the resolver ("127.0.0008.1" goes to DNS). */
static int strict_loopback(const char *host) {
  if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
      strcmp(host, "[::1]") == 0)
    return 1;
  if (strlen(host) < 4 || memcmp(host, "127.", 4) != 0) return 0;
  const char *p = host + 4;
  for (int part = 0; part < 3; part++) {
    unsigned v = 0;
    int digits = 0;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9') return 0; /* no leading zeros */
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
      if (digits == 3) return 0;
      v = v * 10 + (unsigned)(*p - '0');
    }
    if (digits == 0 || v > 255) return 0;
    if (part < 2 && *p++ != '.') return 0;
  }
  return *p == '\0';
}

static void check_accepted(const char *url) {
  for (const unsigned char *p = (const unsigned char *)url; *p; p++)
    FUZZ_CHECK(*p > 0x20 && *p != 0x7f, "byte 0x%02x accepted", *p);
  CURLU *u = curl_url();
  if (!u) abort();
  char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
  FUZZ_CHECK(curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK, "unparsable URL accepted");
  FUZZ_CHECK(curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK, "no scheme");
  FUZZ_CHECK(curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK, "no host");
  FUZZ_CHECK(curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK, "user accepted");
  FUZZ_CHECK(curl_url_get(u, CURLUPART_PASSWORD, &password, 0) != CURLUE_OK, "password accepted");
  FUZZ_CHECK(strcasecmp(scheme, "https") == 0 ||
                 (strcasecmp(scheme, "http") == 0 && strict_loopback(host)),
             "scheme %s host %s accepted", scheme, host);
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  curl_free(password);
  curl_url_cleanup(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  char *url = fuzz_field(&in);
  char *host = fuzz_field(&in);
  char err[512];
  if (ko_check_url(url, err, sizeof err) == 0)
    check_accepted(url);
  else
    FUZZ_CHECK(memchr(err, 0, sizeof err) && *err, "refused without a message");
  /* any text, not only libcurl's normalized hosts: must not misbehave */
  if (strict_loopback(host)) FUZZ_CHECK(ko_is_loopback_host(host), "loopback %s refused", host);
  (void)ko_is_loopback_host(url);
  free(url);
  free(host);
  return 0;
}
