/* fuzz_retry_after: the Retry-After response header, sent by the server.
 *
 * Calls ko_parse_retry_after(value, now) (src/retry.c), which reads
 * delta-seconds or an HTTP-date (through curl_getdate). Input: 4 bytes of
 * "now" (seconds since the epoch, any time up to 2106), then the value.
 * Properties: the result is -1 (unparsable) or a delay in milliseconds in
 * [0, 365 days], for delta-seconds and for dates alike (curl_getdate takes
 * years up to 2^31, whose distance in ms overflowed a long before the cap);
 * the same input gives the same answer.
 * Seeds: fuzz/corpus/fuzz_retry_after/. Run: make fuzz FUZZ_TARGETS=fuzz_retry_after
 */
#include "fuzz.h"

#include "kickoff.h"

#define MAX_DELAY_MS (86400L * 365 * 1000) /* the cap for absurd values */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  uint32_t now32 = 0;
  for (int i = 0; i < 4; i++) now32 = (now32 << 8) | fuzz_byte(&in);
  long now = (long)now32;
  char *value = fuzz_field(&in);

  long ms = ko_parse_retry_after(value, now);
  FUZZ_CHECK(ms >= -1 && ms <= MAX_DELAY_MS, "%ld ms", ms);
  FUZZ_CHECK(ko_parse_retry_after(value, now) == ms, "not deterministic");
  free(value);
  return 0;
}
