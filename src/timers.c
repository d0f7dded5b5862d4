/* Transfers waiting for a moment (retry backoff, rate limit): a binary
 * min-heap on wake_at, so finding the next wake-up is O(1) and scheduling
 * O(log n) however many transfers are in flight. */
#include <stdlib.h>

#include "internal.h"

static int earlier(const ko_transfer *a, const ko_transfer *b) {
  return a->wake_at < b->wake_at;
}

static void place(ko_engine *e, size_t i, ko_transfer *t) {
  e->timers[i] = t;
  t->timer_slot = i + 1;
}

static void sift_up(ko_engine *e, size_t i) {
  ko_transfer *t = e->timers[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!earlier(t, e->timers[parent])) break;
    place(e, i, e->timers[parent]);
    i = parent;
  }
  place(e, i, t);
}

static void sift_down(ko_engine *e, size_t i) {
  ko_transfer *t = e->timers[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= e->ntimers) break;
    if (child + 1 < e->ntimers && earlier(e->timers[child + 1], e->timers[child]))
      child++;
    if (!earlier(e->timers[child], t)) break;
    place(e, i, e->timers[child]);
    i = child;
  }
  place(e, i, t);
}

int ko_timer_add(ko_engine *e, ko_transfer *t) {
  if (t->timer_slot) ko_timer_remove(e, t);
  if (e->ntimers == e->timers_cap) {
    size_t cap = e->timers_cap ? e->timers_cap * 2 : 64;
    ko_transfer **grown = realloc(e->timers, cap * sizeof(ko_transfer *));
    if (!grown) return -1;
    e->timers = grown;
    e->timers_cap = cap;
  }
  e->timers[e->ntimers] = t;
  sift_up(e, e->ntimers++);
  return 0;
}

void ko_timer_remove(ko_engine *e, ko_transfer *t) {
  if (!t->timer_slot) return;
  size_t i = t->timer_slot - 1;
  t->timer_slot = 0;
  ko_transfer *last = e->timers[--e->ntimers];
  if (i == e->ntimers) return;
  place(e, i, last);
  if (i > 0 && earlier(last, e->timers[(i - 1) / 2]))
    sift_up(e, i);
  else
    sift_down(e, i);
}

double ko_timer_next(const ko_engine *e) {
  return e->ntimers ? e->timers[0]->wake_at : -1;
}

ko_transfer *ko_timer_pop_due(ko_engine *e, double now) {
  if (!e->ntimers || e->timers[0]->wake_at > now) return NULL;
  ko_transfer *t = e->timers[0];
  ko_timer_remove(e, t);
  return t;
}
