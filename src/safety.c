/* Input checks that keep requests well-formed and secrets out of sight:
 * no CR/LF/NUL in what becomes part of the request head (libcurl sends
 * headers as-is), https only except for loopback, and wiping. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

void ko_wipe(void *p, size_t n) {
  /* volatile stores: the compiler may not drop a wipe before free */
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

static int is_tchar(unsigned char c) {
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int ko_check_method(const char *method, char *err, size_t errlen) {
  if (!method || !*method) {
    snprintf(err, errlen, "method: must be a non-empty HTTP token");
    return -1;
  }
  for (const unsigned char *p = (const unsigned char *)method; *p; p++) {
    if (!is_tchar(*p)) {
      snprintf(err, errlen,
               "method: character 0x%02x is not allowed in an HTTP method", *p);
      return -1;
    }
  }
  return 0;
}

int ko_check_header(const char *name, const char *value, char *err,
                    size_t errlen) {
  if (!name || !*name) {
    snprintf(err, errlen, "header name: must not be empty");
    return -1;
  }
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if (!is_tchar(*p)) {
      snprintf(err, errlen,
               "header %.64s: character 0x%02x is not allowed in a header "
               "name",
               name, *p);
      return -1;
    }
  }
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    if (*p == '\r' || *p == '\n' || (*p < 0x20 && *p != '\t') || *p == 0x7f) {
      snprintf(err, errlen,
               "header %.64s: value contains control character 0x%02x (CR, "
               "LF and NUL would split the request)",
               name, *p);
      return -1;
    }
  }
  return 0;
}

int ko_is_loopback_host(const char *host) {
  if (!host) return 0;
  if (strcasecmp(host, "localhost") == 0) return 1;
  if (strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0) return 1;
  /* 127.0.0.0/8 in canonical dotted-quad form only: a looser spelling
   * ("127.0.0008.1") is no address to the resolver but a name for DNS */
  struct in_addr addr;
  return inet_pton(AF_INET, host, &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

int ko_check_url_chars(const char *url, char *err, size_t errlen) {
  for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
    if (*p <= 0x20 || *p == 0x7f) {
      snprintf(err, errlen,
               "url: character 0x%02x is not allowed (CR, LF, NUL, space and "
               "controls must be percent-encoded)",
               *p);
      return -1;
    }
  }
  return 0;
}

int ko_check_url(const char *url, char *err, size_t errlen) {
  if (ko_check_url_chars(url, err, errlen) != 0) return -1;
  CURLU *u = curl_url();
  if (!u) {
    snprintf(err, errlen, "url: out of memory");
    return -1;
  }
  int rc = -1;
  char *scheme = NULL, *host = NULL, *user = NULL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
    snprintf(err, errlen, "url: not a valid absolute URL: %.200s", url);
    goto out;
  }
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    snprintf(err, errlen, "url: scheme and host are required: %.200s", url);
    goto out;
  }
  if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
    snprintf(err, errlen,
             "url: credentials in the URL are refused; pass them as client "
             "options");
    goto out;
  }
  if (strcasecmp(scheme, "https") == 0) {
    rc = 0;
  } else if (strcasecmp(scheme, "http") == 0) {
    if (ko_is_loopback_host(host))
      rc = 0;
    else
      snprintf(err, errlen,
               "url: plain http is only allowed for loopback hosts (the "
               "sandbox); use https://%.100s",
               host);
  } else {
    snprintf(err, errlen, "url: scheme %.20s is not allowed; use https",
             scheme);
  }
out:
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  curl_url_cleanup(u);
  return rc;
}

void ko_slist_free_wiped(struct curl_slist *list) {
  for (struct curl_slist *p = list; p; p = p->next)
    if (p->data) ko_wipe(p->data, strlen(p->data));
  curl_slist_free_all(list);
}

static int header_named(const char *line, const char *name) {
  size_t n = strlen(name);
  return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* Whether a "Name: value" line carries a credential and must be redacted:
 * the generic credential headers, plus the vendor's own auth header. */
int ko_header_is_secret(const char *line, const ko_vendor *vendor) {
  static const char *const always[] = {"Authorization", "Proxy-Authorization",
                                       "Cookie", NULL};
  for (const char *const *h = always; *h; h++)
    if (header_named(line, *h)) return 1;
  return vendor && vendor->auth_header && header_named(line, vendor->auth_header);
}
