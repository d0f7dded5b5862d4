/* Shared pieces of the libFuzzer harnesses in fuzz/: the entry point's
 * prototype, splitting one input into NUL-separated C-string fields, and a
 * check that aborts (so libFuzzer saves the input) when a property fails. */
#ifndef KICKOFF_FUZZ_H
#define KICKOFF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An input cut into fields at NUL bytes; the last field keeps the rest.
 * Every field is a NUL-terminated copy (fields never contain a NUL, as the
 * C API takes C strings), except that the rest keeps its length too. */
typedef struct fuzz_input {
  const uint8_t *data;
  size_t size;
} fuzz_input;

/* The next field as a malloc'ed C string (never NULL: "" past the end). */
static inline char *fuzz_field(fuzz_input *in) {
  const uint8_t *end = in->size ? memchr(in->data, 0, in->size) : NULL;
  size_t n = end ? (size_t)(end - in->data) : in->size;
  char *s = calloc(n + 1, 1);
  if (!s) abort();
  if (n) memcpy(s, in->data, n);
  in->data += end ? n + 1 : n;
  in->size -= end ? n + 1 : n;
  return s;
}

/* One byte of flags or a selector (0 past the end). */
static inline unsigned fuzz_byte(fuzz_input *in) {
  if (!in->size) return 0;
  in->size--;
  return *in->data++;
}

#define FUZZ_CHECK(cond, ...)                                        \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__,      \
              __LINE__, #cond);                                      \
      fprintf(stderr, __VA_ARGS__);                                  \
      fputc('\n', stderr);                                           \
      abort();                                                       \
    }                                                                \
  } while (0)

#endif
