/*
 * Closed-loop socketmap load client for `npm run bench`.
 *
 * Like Postfix, every connection has exactly one request in flight: it writes one netstring,
 * waits for the whole reply netstring, then sends the next. Latency is recorded per request in
 * an HDR-style log-linear histogram (128 linear sub-buckets per power of two, < 0.8% error).
 * Only requests completed after the warm-up count. Output: one JSON object on stdout.
 *
 * usage: socketmap-load TARGET CONNECTIONS WARMUP_S MEASURE_S KEYFILE
 *   TARGET   tcp:HOST:PORT or unix:PATH
 *   KEYFILE  one request payload per line, e.g. "alias user1@d0.example"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define BUCKETS ((int)(2 * SUB + 40 * SUB))
#define READ_BUF 131072

static uint64_t hist[BUCKETS];

static int bucket_of(uint64_t ns) {
  if (ns < 2 * SUB) return (int)ns;
  int e = 63 - __builtin_clzll(ns) - SUB_BITS; /* ns >> e is in [SUB, 2*SUB) */
  int i = (int)(2 * SUB + (e - 1) * SUB + ((ns >> e) - SUB));
  return i < BUCKETS ? i : BUCKETS - 1;
}

/* Middle of a bucket's range, in ns. */
static double value_of(int i) {
  if (i < (int)(2 * SUB)) return i;
  int e = (i - 2 * SUB) / SUB + 1;
  uint64_t m = (uint64_t)((i - 2 * SUB) % SUB + SUB);
  return (double)(m << e) + (double)(1ull << e) / 2.0;
}

static double percentile(uint64_t total, double p) {
  uint64_t want = (uint64_t)((double)total * p / 100.0);
  if (want >= total) want = total - 1;
  uint64_t seen = 0;
  for (int i = 0; i < BUCKETS; i++) {
    seen += hist[i];
    if (seen > want) return value_of(i);
  }
  return 0;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct {
  int fd;
  size_t next_key;
  uint64_t sent_at;
  char *buf;
  size_t have;
} conn_t;

static char **reqs;
static size_t *req_len;
static size_t nreq;

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void load_keys(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) die("keyfile");
  size_t cap = 1024;
  reqs = malloc(cap * sizeof *reqs);
  req_len = malloc(cap * sizeof *req_len);
  char *line = NULL;
  size_t n = 0;
  ssize_t len;
  while ((len = getline(&line, &n, f)) > 0) {
    if (line[len - 1] == '\n') line[--len] = 0;
    if (len == 0) continue;
    if (nreq == cap) {
      cap *= 2;
      reqs = realloc(reqs, cap * sizeof *reqs);
      req_len = realloc(req_len, cap * sizeof *req_len);
    }
    char head[24];
    int h = snprintf(head, sizeof head, "%zd:", len);
    char *r = malloc((size_t)h + (size_t)len + 1);
    memcpy(r, head, (size_t)h);
    memcpy(r + h, line, (size_t)len);
    r[h + len] = ',';
    reqs[nreq] = r;
    req_len[nreq] = (size_t)h + (size_t)len + 1;
    nreq++;
  }
  free(line);
  fclose(f);
  if (nreq == 0) {
    fprintf(stderr, "no keys in %s\n", path);
    exit(2);
  }
}

static int open_conn(const char *target) {
  int fd;
  if (strncmp(target, "unix:", 5) == 0) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, target + 5, sizeof sa.sun_path - 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect unix");
  } else if (strncmp(target, "tcp:", 4) == 0) {
    char host[256];
    const char *colon = strrchr(target + 4, ':');
    if (!colon) die("target");
    size_t hl = (size_t)(colon - (target + 4));
    memcpy(host, target + 4, hl);
    host[hl] = 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, host, &sa.sin_addr);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect tcp");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    fprintf(stderr, "target must be tcp:HOST:PORT or unix:PATH\n");
    exit(2);
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void send_next(conn_t *c) {
  size_t k = c->next_key++ % nreq;
  c->sent_at = now_ns();
  ssize_t w = write(c->fd, reqs[k], req_len[k]);
  if (w != (ssize_t)req_len[k]) die("write (short or failed)");
}

/* Length of the complete netstring at the start of buf, or 0 if not complete yet. */
static size_t frame_len(const char *buf, size_t have, size_t *payload_at) {
  size_t len = 0, i = 0;
  while (i < have && buf[i] >= '0' && buf[i] <= '9') len = len * 10 + (size_t)(buf[i++] - '0');
  if (i == have) return 0;
  if (buf[i] != ':') {
    fprintf(stderr, "bad reply framing\n");
    exit(3);
  }
  *payload_at = i + 1;
  size_t total = i + 1 + len + 1;
  return have >= total ? total : 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s TARGET CONNECTIONS WARMUP_S MEASURE_S KEYFILE\n", argv[0]);
    return 2;
  }
  const char *target = argv[1];
  int nconn = atoi(argv[2]);
  double warmup = atof(argv[3]), measure = atof(argv[4]);
  load_keys(argv[5]);

  int ep = epoll_create1(0);
  conn_t *conns = calloc((size_t)nconn, sizeof *conns);
  for (int i = 0; i < nconn; i++) {
    conns[i].fd = open_conn(target);
    conns[i].next_key = ((size_t)i * 7919u) % nreq;
    conns[i].buf = malloc(READ_BUF);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  uint64_t start = now_ns();
  uint64_t measure_from = start + (uint64_t)(warmup * 1e9);
  uint64_t end = measure_from + (uint64_t)(measure * 1e9);
  uint64_t all = 0, counted = 0, ok = 0, notfound = 0, temp = 0, other = 0, max_ns = 0;
  for (int i = 0; i < nconn; i++) send_next(&conns[i]);

  struct epoll_event events[256];
  int open = nconn;
  while (open > 0) {
    int n = epoll_wait(ep, events, 256, 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int e = 0; e < n; e++) {
      conn_t *c = events[e].data.ptr;
      ssize_t r = read(c->fd, c->buf + c->have, READ_BUF - c->have);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        fprintf(stderr, "server closed a connection\n");
        exit(3);
      }
      c->have += (size_t)r;
      size_t at = 0;
      size_t total = frame_len(c->buf, c->have, &at);
      if (total == 0) {
        if (c->have == READ_BUF) {
          fprintf(stderr, "reply larger than %d bytes\n", READ_BUF);
          exit(3);
        }
        continue;
      }
      uint64_t t = now_ns();
      all++;
      if (t >= measure_from && c->sent_at >= measure_from) {
        uint64_t lat = t - c->sent_at;
        hist[bucket_of(lat)]++;
        if (lat > max_ns) max_ns = lat;
        counted++;
        switch (c->buf[at]) {
          case 'O': ok++; break;
          case 'N': notfound++; break;
          case 'T': temp++; break;
          default: other++; break;
        }
      }
      if (total != c->have) {
        fprintf(stderr, "more than one reply in flight: the server answered unasked\n");
        exit(3);
      }
      c->have = 0;
      if (t >= end) {
        close(c->fd);
        c->fd = -1;
        open--;
      } else {
        send_next(c);
      }
    }
  }
  double secs = (double)(now_ns() - measure_from) / 1e9;
  if (counted == 0) {
    fprintf(stderr, "no request completed in the measurement window\n");
    return 3;
  }
  printf("{\"all_requests\":%llu,\"requests\":%llu,\"seconds\":%.4f,\"rps\":%.1f,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,"
         "\"p999_us\":%.2f,\"max_us\":%.2f,\"ok\":%llu,\"notfound\":%llu,\"temp\":%llu,\"other\":%llu}\n",
         (unsigned long long)all, (unsigned long long)counted, secs, (double)counted / secs, percentile(counted, 50) / 1e3,
         percentile(counted, 90) / 1e3, percentile(counted, 99) / 1e3, percentile(counted, 99.9) / 1e3,
         (double)max_ns / 1e3, (unsigned long long)ok, (unsigned long long)notfound, (unsigned long long)temp,
         (unsigned long long)other);
  return 0;
}
