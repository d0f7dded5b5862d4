/* The floor for `make bench`: the fastest a libcurl client can send Domo
 * starts one after another. One easy handle, reused, so the connection stays
 * open; the same headers and body kickoff sends; the reply collected in
 * memory and checked for status 200 and an "id" field, but not decoded.
 *
 *   floor BASE_URL COUNT WARMUP [CA_FILE]
 *
 * The token comes from $KICKOFF_BENCH_TOKEN (never from argv, which `ps`
 * shows). Prints "elapsed=SECONDS ok=COUNT" for the timed COUNT launches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define START_PATH "/api/workflow/v1/instances/message"
#define BODY                                                                    \
  "{\"data\":{\"parameter1\":13,\"parameter2\":7},\"messageName\":\"Start "    \
  "AddTwoNumbers\",\"modelId\":\"a8afdc89-9491-4ee4-b7c3-b9e9b86c0138\","     \
  "\"version\":\"1.1.0\"}"

struct reply {
  char data[4096];
  size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
  struct reply *r = userdata;
  size_t n = size * nmemb;
  if (n > sizeof r->data - 1 - r->len) return 0; /* too big: fail the transfer */
  memcpy(r->data + r->len, ptr, n);
  r->len += n;
  return n;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One launch; 1 when the server answered 200 with an instance id. */
static int launch(CURL *easy, struct reply *r) {
  r->len = 0;
  if (curl_easy_perform(easy) != CURLE_OK) return 0;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  r->data[r->len] = '\0';
  return status == 200 && strstr(r->data, "\"id\":") != NULL;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: floor BASE_URL COUNT WARMUP [CA_FILE]\n");
    return 2;
  }
  const char *token = getenv("KICKOFF_BENCH_TOKEN");
  if (!token || !*token) {
    fprintf(stderr, "floor: KICKOFF_BENCH_TOKEN is not set\n");
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  long warmup = strtol(argv[3], NULL, 10);
  if (count <= 0 || warmup < 0) {
    fprintf(stderr, "floor: COUNT must be > 0 and WARMUP >= 0\n");
    return 2;
  }

  char url[1024];
  if ((size_t)snprintf(url, sizeof url, "%s%s", argv[1], START_PATH) >= sizeof url) {
    fprintf(stderr, "floor: BASE_URL is too long\n");
    return 2;
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *easy = curl_easy_init();
  char header[512];
  snprintf(header, sizeof header, "X-DOMO-Developer-Token: %s", token);
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  struct curl_slist *all = headers ? curl_slist_append(headers, header) : NULL;
  if (!easy || !all) {
    fprintf(stderr, "floor: out of memory\n");
    return 1;
  }
  struct reply reply;
  curl_easy_setopt(easy, CURLOPT_URL, url);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, all);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, BODY);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(BODY));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L);
  if (argc == 5) curl_easy_setopt(easy, CURLOPT_CAINFO, argv[4]);

  int failed = 0;
  for (long i = 0; i < warmup; i++) failed += !launch(easy, &reply);
  double start = now();
  long ok = 0;
  for (long i = 0; i < count; i++) ok += launch(easy, &reply);
  double elapsed = now() - start;
  printf("elapsed=%.6f ok=%ld\n", elapsed, ok);

  /* the header slist held the token: wipe it before freeing */
  memset(header, 0, sizeof header);
  for (struct curl_slist *h = all; h; h = h->next) memset(h->data, 0, strlen(h->data));
  curl_slist_free_all(all);
  curl_easy_cleanup(easy);
  curl_global_cleanup();
  return failed == 0 && ok == count ? 0 : 1;
}
