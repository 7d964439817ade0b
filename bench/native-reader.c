// The floor under any client on a host: N streams of back-to-back streamed POSTs read with epoll and
// one recv() per readiness, a CLOCK_MONOTONIC timestamp per read, and nothing else (no HTTP parsing beyond
// finding the chunked body's end). bench/http-readers.ts runs it beside the Node readers (--native PATH),
// so "CPU us per event" compares what Node costs per socket read with what the kernel and a bare loop cost.
//
//   cc -O2 -o native-reader bench/native-reader.c && ./native-reader 127.0.0.1 PORT STREAMS SECONDS
//
// Prints one JSON line: {"mode":"native-epoll","events":..,"eventsPerS":..,"cpuPct":..,"usPerEvent":..,"lagP99Ms":0}
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_us(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: native-reader HOST PORT STREAMS SECONDS\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), streams = atoi(argv[3]);
  double seconds = atof(argv[4]);
  const char *body = "{\"model\":\"m\",\"prompt\":\"hi\",\"stream\":true,\"max_tokens\":40}";
  char req[512];
  int reqlen = snprintf(req, sizeof req, "POST /v1/completions HTTP/1.1\r\nhost: %s:%d\r\ncontent-type: application/json\r\ncontent-length: %zu\r\n\r\n%s", host, port, strlen(body), body);
  int ep = epoll_create1(0);
  int *fds = calloc(streams, sizeof(int));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  for (int i = 0; i < streams; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
      perror("connect");
      return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds[i] = fd;
  }
  double t0 = now_ms(), stop = t0 + seconds * 1e3, cpu0 = cpu_us(), last = 0;
  for (int i = 0; i < streams; i++) write(fds[i], req, reqlen);
  long events = 0;
  static char buf[65536];
  struct epoll_event evs[1024];
  while (now_ms() < stop) {
    int n = epoll_wait(ep, evs, 1024, 100);
    for (int k = 0; k < n; k++) {
      int fd = fds[evs[k].data.u32];
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r <= 0) continue;
      last = now_ms(); // the read's timestamp, as a client would take it
      events++;
      if (r >= 5 && memcmp(buf + r - 5, "0\r\n\r\n", 5) == 0) write(fd, req, reqlen);
    }
  }
  double wall = now_ms() - t0, cpu = cpu_us() - cpu0;
  (void)last;
  printf("{\"mode\":\"native-epoll\",\"events\":%ld,\"eventsPerS\":%.0f,\"cpuPct\":%.0f,\"usPerEvent\":%.1f,\"lagP99Ms\":0}\n", events, events / wall * 1e3, cpu / 10 / wall, cpu / events);
  return 0;
}
