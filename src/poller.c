/* The sockets libcurl asks the engine to watch, and the wait on them.
 * libcurl's multi-socket API tells us which sockets matter (socket
 * callback) and when it needs to run next (timer callback); a step then
 * hands libcurl only the sockets that are ready, so its cost follows the
 * activity, not the number of transfers in flight (curl_multi_perform walks
 * every transfer on every call). The same table is what a host event loop
 * watches (Engine:fds). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "internal.h"

static struct pollfd *find(ko_engine *e, curl_socket_t fd) {
  for (size_t i = 0; i < e->nsocks; i++)
    if (e->socks[i].fd == fd) return &e->socks[i];
  return NULL;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp) {
  (void)easy;
  (void)socketp;
  ko_engine *e = userp;
  struct pollfd *p = find(e, fd);
  if (what == CURL_POLL_REMOVE) {
    if (p) *p = e->socks[--e->nsocks]; /* order does not matter */
    return 0;
  }
  if (!p) {
    if (e->nsocks == e->socks_cap) {
      size_t cap = e->socks_cap ? e->socks_cap * 2 : 16;
      struct pollfd *grown = realloc(e->socks, cap * sizeof(struct pollfd));
      if (!grown) return -1; /* libcurl fails the transfer */
      e->socks = grown;
      e->socks_cap = cap;
    }
    p = &e->socks[e->nsocks++];
    p->fd = fd;
  }
  p->events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
                      ((what & CURL_POLL_OUT) ? POLLOUT : 0));
  p->revents = 0;
  return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  ko_engine *e = userp;
  e->curl_timer_at = timeout_ms < 0 ? -1 : ko_now() + (double)timeout_ms / 1000.0;
  return 0;
}

void ko_poller_init(ko_engine *e) {
  e->curl_timer_at = -1;
  curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
  curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
}

long ko_poller_timeout_ms(const ko_engine *e) {
  if (e->curl_timer_at < 0) return -1;
  long ms = (long)((e->curl_timer_at - ko_now()) * 1000.0 + 0.999);
  return ms < 0 ? 0 : ms;
}

void ko_poller_run_timers(ko_engine *e) {
  if (e->curl_timer_at < 0 || ko_now() < e->curl_timer_at) return;
  e->curl_timer_at = -1; /* the callback may set the next one */
  int running = 0;
  curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

int ko_poller_wait(ko_engine *e, long wait_ms) {
  size_t n = e->nsocks;
  if (n == 0) return 0;
  /* libcurl may change the table while it handles a socket: poll a copy */
  struct pollfd stack_copy[64];
  struct pollfd *fds = n <= 64 ? stack_copy : malloc(n * sizeof *fds);
  if (!fds) return -1;
  for (size_t i = 0; i < n; i++) fds[i] = e->socks[i];
  int ready = poll(fds, (nfds_t)n, wait_ms < 0 ? 0 : (int)wait_ms);
  int failed = ready < 0 && errno != EINTR; /* a signal only ends the wait */
  for (size_t i = 0; ready > 0 && i < n; i++) {
    short got = fds[i].revents;
    if (!got) continue;
    ready--;
    int mask = ((got & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
               ((got & POLLOUT) ? CURL_CSELECT_OUT : 0) |
               ((got & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
    int running = 0;
    curl_multi_socket_action(e->multi, fds[i].fd, mask, &running);
  }
  if (fds != stack_copy) free(fds);
  return failed ? -1 : 0;
}

int ko_engine_sockets(ko_engine *e, int *fds, int *events, int cap) {
  int n = 0;
  for (size_t i = 0; i < e->nsocks; i++, n++) {
    if (n >= cap) continue; /* the count is still returned */
    fds[n] = (int)e->socks[i].fd;
    events[n] = ((e->socks[i].events & POLLIN) ? 1 : 0) |
                ((e->socks[i].events & POLLOUT) ? 2 : 0);
  }
  return n;
}
