/* The engine: one libcurl multi handle (the connection pool), a share handle
 * for DNS and TLS sessions, timers for backoff, and the trace event queue. */
#include <stdarg.h>
#include <sys/select.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

double ko_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

ko_engine *ko_engine_new(char *err, size_t errlen) {
  ko_engine *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  e->refs = 1;
  e->multi = curl_multi_init();
  e->share = curl_share_init();
  if (!e->multi || !e->share) {
    snprintf(err, errlen, "libcurl could not create a multi/share handle");
    ko_engine_release(e);
    return NULL;
  }
  curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  /* bounded pool; extra transfers queue inside libcurl */
  ko_engine_set_limits(e, 64, 128, 3600);
  curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  e->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)e;
  return e;
}

void ko_engine_set_limits(ko_engine *e, long max_host, long max_total,
                          long max_lifetime) {
  if (max_lifetime > 0) e->max_connection_lifetime = max_lifetime;
  if (max_host > 0)
    curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host);
  if (max_total > 0) {
    curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_total);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, max_total);
  }
}

void ko_engine_retain(ko_engine *engine) { engine->refs++; }

void ko_engine_release(ko_engine *e) {
  if (!e || --e->refs > 0) return;
  /* clients hold references, so no transfer can be live here */
  for (int i = 0; i < e->neasy; i++) curl_easy_cleanup(e->easy_pool[i]);
  if (e->multi) curl_multi_cleanup(e->multi);
  if (e->share) curl_share_cleanup(e->share);
  ko_events_free(e->events_head);
  free(e->timers);
  free(e->done_ids);
  free(e);
}

CURL *ko_engine_take_easy(ko_engine *e) {
  if (e->neasy > 0) {
    CURL *easy = e->easy_pool[--e->neasy];
    curl_easy_reset(easy);
    return easy;
  }
  return curl_easy_init();
}

void ko_engine_give_easy(ko_engine *e, CURL *easy) {
  if (!easy) return;
  if (e->neasy < KO_EASY_POOL)
    e->easy_pool[e->neasy++] = easy;
  else
    curl_easy_cleanup(easy);
}

void ko_engine_link(ko_engine *e, ko_transfer *t) {
  t->prev = NULL;
  t->next = e->live;
  if (e->live) e->live->prev = t;
  e->live = t;
  e->nlive++;
}

void ko_engine_unlink(ko_engine *e, ko_transfer *t) {
  if (t->prev)
    t->prev->next = t->next;
  else if (e->live == t)
    e->live = t->next;
  else
    return; /* not linked */
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = NULL;
  e->nlive--;
}

size_t ko_engine_in_flight(const ko_engine *e) { return e->nlive; }

void ko_engine_note_done(ko_engine *e, uint64_t id) {
  e->completed++;
  if (e->ndone == e->done_cap) {
    size_t cap = e->done_cap ? e->done_cap * 2 : 64;
    uint64_t *grown = realloc(e->done_ids, cap * sizeof *grown);
    /* without memory the id is dropped; schedulers then scan their
     * transfers because the count is larger than the list */
    if (!grown) return;
    e->done_ids = grown;
    e->done_cap = cap;
  }
  e->done_ids[e->ndone++] = id;
}

const uint64_t *ko_engine_completed(const ko_engine *e, size_t *count) {
  *count = e->ndone;
  return e->done_ids;
}

int ko_engine_sockets(ko_engine *e, int *fds, int *events, int cap) {
  fd_set r, w, x;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&x);
  int maxfd = -1;
  if (curl_multi_fdset(e->multi, &r, &w, &x, &maxfd) != CURLM_OK) return 0;
  int n = 0;
  for (int fd = 0; fd <= maxfd; fd++) {
    int ev = (FD_ISSET(fd, &r) ? 1 : 0) | (FD_ISSET(fd, &w) ? 2 : 0);
    if (!ev) continue;
    if (n < cap) { /* past cap (or with cap 0 and no arrays) only counted */
      fds[n] = fd;
      events[n] = ev;
    }
    n++;
  }
  return n;
}

void ko_engine_emit(ko_engine *e, const ko_client *client,
                    const ko_transfer *transfer, const char *type,
                    const char *fmt, ...) {
  if (!client || !client->trace || e->nevents >= KO_MAX_EVENTS) return;
  ko_event *ev = calloc(1, sizeof *ev);
  if (!ev) return;
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive */
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  ev->text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!ev->text) {
    free(ev);
    return;
  }
  va_start(ap, fmt);
  vsnprintf(ev->text, (size_t)n + 1, fmt, ap);
  va_end(ap);
  ev->client_id = client->id;
  ev->transfer_id = transfer ? transfer->id : 0;
  ev->type = type;
  if (e->events_tail)
    e->events_tail->next = ev;
  else
    e->events_head = ev;
  e->events_tail = ev;
  e->nevents++;
}

ko_event *ko_engine_take_events(ko_engine *e) {
  ko_event *list = e->events_head;
  e->events_head = e->events_tail = NULL;
  e->nevents = 0;
  return list;
}

void ko_events_free(ko_event *list) {
  while (list) {
    ko_event *next = list->next;
    free(list->text);
    free(list);
    list = next;
  }
}

long ko_engine_timeout(ko_engine *e) {
  long curl_ms = -1;
  curl_multi_timeout(e->multi, &curl_ms);
  double wake = ko_timer_next(e);
  if (wake >= 0) {
    /* rounded up: waking a little early would only spin */
    long ms = (long)((wake - ko_now()) * 1000.0 + 0.999);
    if (ms < 0) ms = 0;
    if (curl_ms < 0 || ms < curl_ms) curl_ms = ms;
  }
  return curl_ms;
}

static void drain_messages(ko_engine *e) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(e->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    ko_transfer *t = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    CURLcode code = msg->data.result;
    if (t) ko_transfer_on_done(t, code);
  }
}

int ko_engine_step(ko_engine *e, int timeout_ms) {
  e->completed = 0;
  e->ndone = 0;
  int running = 0;
  /* start attempts whose backoff has elapsed before waiting */
  ko_transfer_wake_due(e, ko_now());
  curl_multi_perform(e->multi, &running);
  drain_messages(e);
  if (e->completed > 0) return e->completed;

  long wait_ms = timeout_ms;
  double wake = ko_timer_next(e);
  if (wake >= 0) {
    long until = (long)((wake - ko_now()) * 1000.0) + 1;
    if (until < 0) until = 0;
    if (until < wait_ms) wait_ms = until;
  }
  if (wait_ms > 0 && e->nlive > 0) {
    int numfds = 0;
    if (curl_multi_poll(e->multi, NULL, 0, (int)wait_ms, &numfds) != CURLM_OK)
      return -1;
  } else if (wait_ms > 0) {
    /* nothing in flight: sleep so callers polling in a loop do not spin */
    struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  ko_transfer_wake_due(e, ko_now());
  curl_multi_perform(e->multi, &running);
  drain_messages(e);
  return e->completed;
}
