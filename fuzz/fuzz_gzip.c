/* fuzz_gzip: gzip of request bodies (Zuora accepts Content-Encoding: gzip).
 *
 * Calls ko_gzip(body) (src/gzip.c) on a buffer that may already hold data,
 * as the caller's body buffer can. Input: one selector byte (how much stale
 * data the output buffer starts with), then the body, any bytes.
 * Properties: ko_gzip succeeds, its output is NUL-terminated, a gzip member
 * (1f 8b) and zlib inflates it back to exactly the input.
 * Seeds: fuzz/corpus/fuzz_gzip/. Run: make fuzz FUZZ_TARGETS=fuzz_gzip
 */
#include <zlib.h>

#include "fuzz.h"

#include "internal.h"

static void check_round_trip(const ko_buf *packed, const uint8_t *want, size_t len) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 16) != Z_OK) abort();
  unsigned char *plain = malloc(len + 1);
  if (!plain) abort();
  zs.next_in = (Bytef *)packed->data;
  zs.avail_in = (uInt)packed->len;
  zs.next_out = plain;
  zs.avail_out = (uInt)len + 1; /* one spare byte catches extra output */
  int rc = inflate(&zs, Z_FINISH);
  FUZZ_CHECK(rc == Z_STREAM_END, "inflate returned %d", rc);
  FUZZ_CHECK(zs.total_out == len, "%lu bytes back, %zu in", zs.total_out, len);
  FUZZ_CHECK(len == 0 || memcmp(plain, want, len) == 0, "different bytes back");
  FUZZ_CHECK(zs.avail_in == 0, "trailing bytes after the gzip member");
  inflateEnd(&zs);
  free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  size_t stale = (size_t)fuzz_byte(&in) * 7;
  ko_buf out = {0};
  for (size_t i = 0; i < stale; i++)
    if (ko_buf_append(&out, "x", 1)) abort();
  int rc = ko_gzip((const char *)in.data, in.size, &out);
  FUZZ_CHECK(rc == 0, "ko_gzip failed on %zu bytes", in.size);
  FUZZ_CHECK(out.data[out.len] == '\0', "not terminated");
  FUZZ_CHECK(out.len >= 18 && (unsigned char)out.data[0] == 0x1f &&
                 (unsigned char)out.data[1] == 0x8b,
             "not a gzip member");
  check_round_trip(&out, in.data, in.size);
  ko_buf_free(&out, 1);
  return 0;
}
