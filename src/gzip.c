/* gzip request bodies (libcurl only decompresses responses). */
#include <string.h>
#include <zlib.h>

#include "internal.h"

int ko_gzip(const char *in, size_t len, ko_buf *out) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  /* windowBits 15 + 16: gzip wrapper rather than zlib */
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return -1;
  uLong bound = deflateBound(&zs, (uLong)len);
  out->len = 0;
  if (ko_buf_reserve(out, bound) != 0) goto fail;
  zs.next_in = (Bytef *)(uintptr_t)in;
  zs.avail_in = (uInt)len;
  zs.next_out = (Bytef *)out->data;
  zs.avail_out = (uInt)(out->cap - 1);
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) goto fail;
  out->len = zs.total_out;
  out->data[out->len] = '\0';
  deflateEnd(&zs);
  return 0;
fail:
  deflateEnd(&zs);
  return -1;
}
