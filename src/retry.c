/* Backoff and Retry-After arithmetic, kept pure for tests and fuzzing. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "kickoff.h"

long ko_parse_retry_after(const char *value, long now) {
  if (!value) return -1;
  while (*value == ' ' || *value == '\t') value++;
  if (!*value) return -1;
  if (isdigit((unsigned char)*value)) {
    char *end;
    errno = 0;
    long long secs = strtoll(value, &end, 10);
    while (*end == ' ' || *end == '\t') end++;
    if (*end || errno == ERANGE) return -1;
    if (secs > 86400LL * 365) secs = 86400LL * 365; /* cap absurd values */
    return (long)(secs * 1000);
  }
  /* HTTP-date; curl_getdate understands the three RFC 7231 formats */
  char copy[64];
  size_t len = strlen(value);
  if (len >= sizeof copy) return -1;
  memcpy(copy, value, len + 1);
  time_t when = curl_getdate(copy, NULL);
  if (when == -1) return -1;
  long delta = (long)(when - now);
  /* curl_getdate accepts years far beyond 9999: cap before scaling to ms */
  if (delta > 86400L * 365) delta = 86400L * 365;
  return delta > 0 ? delta * 1000 : 0;
}

static uint64_t next_random(uint64_t *state) {
  /* xorshift64*: jitter only, not security */
  uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ULL;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* Exponential backoff with "equal jitter" in [d/2, d] (stripe-python):
 * base * 2^retry capped, never below half the base. */
long ko_backoff_ms(const ko_policy *policy, int retry, uint64_t *rng) {
  long delay = policy->backoff_base_ms;
  for (int i = 0; i < retry && delay < policy->backoff_cap_ms; i++) delay *= 2;
  if (delay > policy->backoff_cap_ms) delay = policy->backoff_cap_ms;
  if (delay <= 1) return delay;
  long half = delay / 2;
  return half + (long)(next_random(rng) % (uint64_t)(delay - half + 1));
}
