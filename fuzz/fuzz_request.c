/* fuzz_request: everything ko_submit() does with a caller's request before
 * anything is sent, for every vendor.
 *
 * ko_submit (src/transfer.c) checks the method, joins path and base URL or
 * checks that a full URL (a server's paging link) stays under the base URL,
 * checks headers, content type and idempotency key, splices the Campaigns
 * token into the body, gzips it, adds auth headers and traces the request
 * with credentials redacted. The engine is never stepped, so nothing is sent.
 * Input: one byte (vendor and flags), then method, path-or-url, header name,
 * header value, content type, idempotency key separated by NUL, then the body.
 * Properties: no error message and no trace event contains a credential; an
 * accepted request's URL is under the client's base URL and none of its
 * header lines holds CR or LF; a refusal has a message.
 * Seeds: fuzz/corpus/fuzz_request/. Run: make fuzz FUZZ_TARGETS=fuzz_request
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "fuzz.h"

#include "internal.h"

#define BASE "http://127.0.0.1:9/api"
#define MARK "SeCrEt"

static ko_engine *engine;
static ko_client *clients[8];
static size_t nclients;

static void setup(void) {
  char err[512];
  engine = ko_engine_new(err, sizeof err);
  FUZZ_CHECK(engine, "%s", err);
  for (size_t i = 0; ko_vendor_at(i) && nclients < 8; i++) {
    ko_client_opts opts = {.vendor = ko_vendor_at(i), .base_url = BASE, .trace = 1,
                           .secret = MARK "-token", .client_id = "client-7",
                           .project_id = "project-7"};
    ko_policy_defaults(&opts.policy);
    clients[nclients] = ko_client_new(engine, &opts, err, sizeof err);
    FUZZ_CHECK(clients[nclients], "%s: %s", ko_vendor_at(i)->name, err);
    nclients++;
  }
}

/* Trace events are the one place request text is shown to users. A caller
 * who writes the marker into the request may see it echoed: not a leak. */
static void check_events(int marker_in_input) {
  ko_event *list = ko_engine_take_events(engine);
  for (ko_event *ev = list; ev && !marker_in_input; ev = ev->next)
    FUZZ_CHECK(!strstr(ev->text, MARK), "%s event shows a credential: %s", ev->type, ev->text);
  ko_events_free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine) setup();
  int marker_in_input = memmem(data, size, MARK, strlen(MARK)) != NULL;
  fuzz_input in = {data, size};
  unsigned flags = fuzz_byte(&in);
  ko_client *c = clients[(flags & 7) % nclients];
  char *method = fuzz_field(&in);
  char *where = fuzz_field(&in);
  char *hname = fuzz_field(&in);
  char *hvalue = fuzz_field(&in);
  char *ctype = fuzz_field(&in);
  char *key = fuzz_field(&in);
  ko_header header = {hname, hvalue};
  ko_request req = {
      .method = method,
      .path = (flags & 8) ? NULL : where,
      .url = (flags & 8) ? where : NULL,
      .headers = &header,
      .nheaders = *hname ? 1 : 0,
      .body = (flags & 16) ? (const char *)in.data : NULL,
      .body_len = in.size,
      .content_type = *ctype ? ctype : NULL,
      .idempotency_key = *key ? key : NULL,
      .idempotent = (flags & 32) != 0,
      .gzip = (flags & 64) != 0,
      .body_secret = (flags & 128) != 0,
  };
  char err[1024] = "";
  ko_transfer *t = ko_submit(c, &req, err, sizeof err);
  FUZZ_CHECK(marker_in_input || !strstr(err, MARK), "error shows a credential: %s", err);
  if (t) {
    const char *base = ko_client_base_url(c);
    FUZZ_CHECK(strncmp(t->url, base, strlen(base)) == 0, "%s is not under %s", t->url, base);
    FUZZ_CHECK(strcmp(t->method, method) == 0, "method changed");
    for (struct curl_slist *h = t->user_headers; h; h = h->next)
      FUZZ_CHECK(!strpbrk(h->data, "\r\n"), "header line with CR or LF");
    ko_transfer_free(t);
  } else {
    FUZZ_CHECK(*err, "refused without a message");
  }
  check_events(marker_in_input);
  free(method);
  free(where);
  free(hname);
  free(hvalue);
  free(ctype);
  free(key);
  return 0;
}
