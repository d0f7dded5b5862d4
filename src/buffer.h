/* Growable byte buffer used for bodies and header blocks. */
#ifndef KICKOFF_BUFFER_H
#define KICKOFF_BUFFER_H

#include <stddef.h>

typedef struct ko_buf {
  char *data; /* always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
} ko_buf;

/* Makes room for extra more bytes plus the terminating NUL. */
int ko_buf_reserve(ko_buf *buf, size_t extra);
int ko_buf_append(ko_buf *buf, const void *data, size_t len);
int ko_buf_set(ko_buf *buf, const void *data, size_t len);
/* Frees the buffer; wipes it first when wipe is non-zero (secret content). */
void ko_buf_free(ko_buf *buf, int wipe);

#endif
