/* Seed 000 (scenario S1) on plugport, a C host: the Go plugin loaded in this process (no
 * child: a C host has no Go runtime of its own), its `main` called from many threads at
 * once, every answer compared with fmt.Sprint of the arguments sent, computed here.
 *
 *     seed000-host-c <libseed000_go.so> [threads (default 100)] [calls per thread (default 20)]
 *
 * The threads start together (a barrier) and the main thread calls too, as the seed's
 * `go f(1); f(2)`. Exit status 0 only when every answer matches. The header seed000.h is
 * generated: plugport gen examples/seeds/s1-variadic/wit --lang c. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugport.h"
#include "seed000.h"

static const seed_variadic_v1_plug_table *plug;
static pthread_barrier_t start;
static int calls = 20;
static pthread_mutex_t report = PTHREAD_MUTEX_INITIALIZER;
static int failures = 0;

static void fail(int g, int i, const char *what, const char *got, size_t len, const char *want) {
    pthread_mutex_lock(&report);
    if (failures++ < 10) {
        fprintf(stderr, "c host: FAILED: thread %d call %d: %s: got \"%.*s\", want \"%s\"\n", g, i, what,
                (int)len, got, want);
    }
    pthread_mutex_unlock(&report);
}

/* Call i of thread g, with the arguments of the Go host (host-go/main.go, args): one of
 * each dynamic type, or the seed's single int on the first call. */
static void one_call(int g, int i) {
    char s[64], want[256];
    uint8_t bs[4];
    seed_variadic_v1_plug_arg a[7];
    seed_variadic_v1_list_plug_arg list;
    pp_string ret;
    pp_error err;
    pp_status st;
    int64_t n = (int64_t)g * 1000003 - i;
    uint64_t u = (uint64_t)g << 40 | (uint64_t)i;
    double f = (double)g + (double)i / 8;
    int b = (g + i) % 2 == 0;

    memset(a, 0, sizeof a);
    if (i == 0) {
        a[0].tag = SEED_VARIADIC_V1_PLUG_ARG_INT;
        a[0].val.int_ = g;
        list.ptr = a;
        list.len = 1;
        snprintf(want, sizeof want, "[%d]", g);
    } else {
        snprintf(s, sizeof s, "g%d-call%d-你好", g, i);
        bs[0] = (uint8_t)g;
        bs[1] = (uint8_t)i;
        bs[2] = 0;
        bs[3] = 0xFF;
        a[0].tag = SEED_VARIADIC_V1_PLUG_ARG_STR;
        a[0].val.str.ptr = s;
        a[0].val.str.len = strlen(s);
        a[1].tag = SEED_VARIADIC_V1_PLUG_ARG_INT;
        a[1].val.int_ = n;
        a[2].tag = SEED_VARIADIC_V1_PLUG_ARG_UINT;
        a[2].val.uint = u;
        a[3].tag = SEED_VARIADIC_V1_PLUG_ARG_FLOAT;
        a[3].val.float_ = f;
        a[4].tag = SEED_VARIADIC_V1_PLUG_ARG_BOOLEAN;
        a[4].val.boolean = (uint8_t)b;
        a[5].tag = SEED_VARIADIC_V1_PLUG_ARG_BYTES;
        a[5].val.bytes.ptr = bs;
        a[5].val.bytes.len = sizeof bs;
        a[6].tag = SEED_VARIADIC_V1_PLUG_ARG_NOTHING;
        list.ptr = a;
        list.len = 7;
        /* fmt.Sprint of []any{s, n, u, f, b, bs, nil}; f has a short exact decimal form,
         * which %.17g and Go's %v both print without trailing zeros. */
        snprintf(want, sizeof want, "[%s %lld %llu %.17g %s [%u %u 0 255] <nil>]", s, (long long)n,
                 (unsigned long long)u, f, b ? "true" : "false", (unsigned)bs[0], (unsigned)bs[1]);
    }
    st = seed_variadic_v1_plug_call_main(plug, list, &ret, &err);
    if (st != PP_OK) {
        fail(g, i, "call error", err.message.ptr != NULL ? err.message.ptr : "", err.message.len, want);
        pp_error_release(&err);
        return;
    }
    if (ret.len != strlen(want) || memcmp(ret.ptr, want, ret.len) != 0) {
        fail(g, i, "answer", ret.ptr, ret.len, want);
    }
    if (ret.len > 0) {
        plug->header.dealloc((void *)ret.ptr, ret.len, 1);
    }
}

static void *worker(void *arg) {
    int g = (int)(size_t)arg, i;
    pthread_barrier_wait(&start);
    for (i = 0; i < calls; i++) {
        one_call(g, i);
    }
    return NULL;
}

int main(int argc, char **argv) {
    plugport_plugin *plugin = NULL;
    seed_variadic_v1_seed000_imports imports;
    pthread_t *threads;
    int n = 100, g;

    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s <plugin.so> [threads] [calls per thread]\n", argv[0]);
        return 2;
    }
    if (argc > 2) {
        n = atoi(argv[2]);
    }
    if (argc > 3) {
        calls = atoi(argv[3]);
    }
    if (n < 1 || calls < 1) {
        fprintf(stderr, "threads and calls must be positive\n");
        return 2;
    }
    imports.header.size = sizeof imports;
    imports.header.version = 0x00010000u;
    imports.header.dealloc = NULL;
    if (seed_variadic_v1_seed000_open(argv[1], &imports, &plugin) != 0) {
        fprintf(stderr, "c host: cannot load plugin: %s\n", plugport_last_error());
        return 1;
    }
    plug = seed_variadic_v1_seed000_exports_get_plug(seed_variadic_v1_seed000_exports_of(plugin));
    if (plug == NULL) {
        fprintf(stderr, "c host: the plugin exports no `plug`\n");
        plugport_close(plugin);
        return 1;
    }
    threads = calloc((size_t)n, sizeof *threads);
    if (threads == NULL || pthread_barrier_init(&start, NULL, (unsigned)n + 1) != 0) {
        fprintf(stderr, "c host: out of memory\n");
        return 1;
    }
    for (g = 0; g < n; g++) {
        if (pthread_create(&threads[g], NULL, worker, (void *)(size_t)(g + 1)) != 0) {
            fprintf(stderr, "c host: cannot start thread %d\n", g + 1);
            return 1;
        }
    }
    worker((void *)(size_t)(n + 1)); /* the main thread calls too */
    for (g = 0; g < n; g++) {
        pthread_join(threads[g], NULL);
    }
    pthread_barrier_destroy(&start);
    free(threads);
    plugport_close(plugin);
    if (failures > 0) {
        fprintf(stderr, "c host: %d of %d answers wrong\n", failures, (n + 1) * calls);
        return 1;
    }
    printf("c host: %d threads + the main thread at once, %d calls each: all %d answers checked\n", n, calls,
           (n + 1) * calls);
    printf("c host: OK\n");
    return 0;
}
