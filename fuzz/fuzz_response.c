/* fuzz_response: a response's header block, sent by the server.
 *
 * Drives the real completion path of src/transfer.c: a GET is submitted on an
 * engine that is never stepped (nothing goes on the wire), the input is put
 * where libcurl's header callback puts the raw header block, and
 * ko_transfer_on_done() splits it into name/value pairs (parse_headers),
 * judges the outcome and reads Retry-After (ko_parse_retry_after). Input: the
 * raw header block, any bytes (status lines, folded lines, NULs, no CRLF...).
 * Properties: the transfer finishes; every parsed pair lies inside the block,
 * has no ':' in its name and no line break in either part; there are no more
 * pairs than lines; a delta-seconds Retry-After is what the result reports.
 * Seeds: fuzz/corpus/fuzz_response/. Run: make fuzz FUZZ_TARGETS=fuzz_response
 */
#include <time.h>

#include "fuzz.h"

#include "internal.h"

static ko_engine *engine;
static ko_client *client;

static void setup(void) {
  char err[512];
  engine = ko_engine_new(err, sizeof err);
  FUZZ_CHECK(engine, "%s", err);
  ko_client_opts opts = {.vendor = ko_vendor_find("http"), .base_url = "http://127.0.0.1:9",
                         .trace = 1};
  ko_policy_defaults(&opts.policy);
  client = ko_client_new(engine, &opts, err, sizeof err);
  FUZZ_CHECK(client, "%s", err);
}

static int inside(const char *p, const ko_buf *block) {
  return p >= block->data && p <= block->data + block->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!client) setup();
  char err[512];
  ko_request req = {.method = "GET", .path = "/runs/1", .idempotent = 1};
  ko_transfer *t = ko_submit(client, &req, err, sizeof err);
  FUZZ_CHECK(t, "%s", err);
  FUZZ_CHECK(t->state == KO_T_RUNNING && t->easy, "request not started");

  if (ko_buf_set(&t->resp_headers, data, size)) abort();
  size_t lines = 1;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
  ko_transfer_on_done(t, CURLE_OK);

  const ko_result *r = ko_transfer_result(t);
  FUZZ_CHECK(r, "transfer not finished");
  FUZZ_CHECK(r->nheaders <= lines, "%zu pairs from %zu lines", r->nheaders, lines);
  for (size_t i = 0; i < r->nheaders; i++) {
    const ko_header *h = &r->headers[i];
    FUZZ_CHECK(inside(h->name, &t->resp_headers) && inside(h->value, &t->resp_headers),
               "pair %zu outside the block", i);
    FUZZ_CHECK(!strpbrk(h->name, ":\n"), "name %zu has a colon or a line break", i);
    FUZZ_CHECK(!strchr(h->value, '\n'), "value %zu has a line break", i);
    FUZZ_CHECK(ko_result_header(r, h->name), "lookup of %s fails", h->name);
  }
  const char *ra = ko_result_header(r, "Retry-After");
  if (ra && *ra >= '0' && *ra <= '9')
    FUZZ_CHECK(r->retry_after_ms == ko_parse_retry_after(ra, (long)time(NULL)),
               "retry_after_ms %ld for %s", r->retry_after_ms, ra);
  if (!ra) FUZZ_CHECK(r->retry_after_ms == -1, "retry_after_ms %ld without the header",
                      r->retry_after_ms);
  ko_transfer_free(t);
  ko_events_free(ko_engine_take_events(engine));
  return 0;
}
