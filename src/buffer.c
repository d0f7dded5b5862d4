/* Growable byte buffer. */
#include "buffer.h"

#include <stdlib.h>
#include <string.h>

#include "kickoff.h"

int ko_buf_reserve(ko_buf *buf, size_t extra) {
  if (extra > (size_t)-1 - buf->len - 1) return -1;
  if (buf->len + extra + 1 > buf->cap) {
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + extra + 1) cap *= 2;
    char *p = malloc(cap);
    if (!p) return -1;
    if (buf->data) {
      memcpy(p, buf->data, buf->len);
      /* wipe the old block: it may hold a secret body */
      ko_wipe(buf->data, buf->cap);
      free(buf->data);
    }
    buf->data = p;
    buf->cap = cap;
  }
  return 0;
}

int ko_buf_append(ko_buf *buf, const void *data, size_t len) {
  if (ko_buf_reserve(buf, len) != 0) return -1;
  if (len) memcpy(buf->data + buf->len, data, len);
  buf->len += len;
  buf->data[buf->len] = '\0';
  return 0;
}

int ko_buf_set(ko_buf *buf, const void *data, size_t len) {
  buf->len = 0;
  return ko_buf_append(buf, data, len);
}

void ko_buf_free(ko_buf *buf, int wipe) {
  if (buf->data && wipe) ko_wipe(buf->data, buf->cap);
  free(buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}
