/* Per-client limits: the retry budget (AWS standard retry quota: retries
 * spend tokens, successes refill them, so an outage does not turn into a
 * retry storm) and the request rate (a token bucket refilled over time, so
 * scripts stay under a vendor's documented limit). */
#include "internal.h"

void ko_limits_init(ko_client *c, const ko_client_opts *o) {
  c->retry_budget_cap = o->retry_budget >= 0 ? o->retry_budget : KO_RETRY_BUDGET;
  c->retry_budget = c->retry_budget_cap;
  c->rate = o->rate > 0 ? o->rate : 0;
  c->rate_burst = o->rate_burst >= 1 ? o->rate_burst : 1;
  c->rate_tokens = c->rate_burst;
  c->rate_stamp = ko_now();
}

int ko_budget_take(ko_client *c, ko_error_kind kind, int *taken) {
  int cost = kind == KO_ERR_TIMEOUT ? KO_RETRY_COST_TIMEOUT : KO_RETRY_COST;
  if (c->retry_budget < cost) return 0;
  c->retry_budget -= cost;
  *taken += cost;
  return 1;
}

void ko_budget_refund(ko_client *c, int taken) {
  /* a clean first-attempt success earns one token; a success after
   * retries gives back what its retries spent */
  c->retry_budget += taken > 0 ? taken : KO_RETRY_REFUND;
  if (c->retry_budget > c->retry_budget_cap) c->retry_budget = c->retry_budget_cap;
}

double ko_rate_wait(ko_client *c, double now) {
  if (c->rate <= 0) return 0;
  c->rate_tokens += (now - c->rate_stamp) * c->rate;
  if (c->rate_tokens > c->rate_burst) c->rate_tokens = c->rate_burst;
  c->rate_stamp = now;
  if (c->rate_tokens >= 1) {
    c->rate_tokens -= 1;
    return 0;
  }
  return (1 - c->rate_tokens) / c->rate;
}
