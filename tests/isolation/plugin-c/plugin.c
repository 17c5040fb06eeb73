/* The fault plugin of tests/isolation: a C plugin that fails in every way a process can
 * (a panic-like error status, abort, SIGSEGV, exit), hangs on request, reports its pid,
 * takes a struct by value, and calls the host's import during a call. Run isolated
 * (docs/isolation.md), each fault must become an error status in the host, and the next
 * call must work. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"

static const test_fault_v1_plugin_imports *IMPORTS;

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

static pp_status set_error(pp_string *err, pp_status st, const char *msg) {
    size_t n = strlen(msg);
    char *p = malloc(n);
    if (p != NULL) {
        memcpy(p, msg, n);
        err->ptr = p;
        err->len = n;
    }
    return st;
}

/* cell: a plugin object holding a number. */
static void cell_drop(void *self) {
    free(self);
}

static pp_status cell_get(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = *(uint32_t *)self;
    return PP_OK;
}

static const test_fault_v1_faults_cell_vtable CELL_VTABLE = {
    {sizeof(test_fault_v1_faults_cell_vtable), 0x00010000u, plugin_dealloc},
    cell_drop,
    cell_get,
};

static pp_status f_cell_new(uint32_t v, test_fault_v1_faults_cell *ret, pp_string *err) {
    uint32_t *p = malloc(sizeof *p);
    if (p == NULL) {
        return set_error(err, PP_ERR_PANIC, "out of memory");
    }
    *p = v;
    ret->self = p;
    ret->vtable = &CELL_VTABLE;
    return PP_OK;
}

/* The value of a host token, through its vtable (a call back into the host). */
static pp_status token_value(test_fault_v1_host_token t, uint32_t *out, pp_string *err) {
    pp_string herr = {NULL, 0};
    pp_status st;
    if (t.self == NULL || t.vtable == NULL) {
        return set_error(err, PP_ERR_INVALID_ARGUMENT, "t: null token handle");
    }
    st = t.vtable->value(t.self, out, &herr);
    if (st != PP_OK) {
        pp_string_release(&herr, t.vtable->header.dealloc);
        return set_error(err, PP_ERR_PANIC, "token.value failed");
    }
    return PP_OK;
}

static pp_status f_peek_token(test_fault_v1_host_token t, uint32_t *ret, pp_string *err) {
    return token_value(t, ret, err);
}

static pp_status f_eat_token(test_fault_v1_host_token t, uint32_t *ret, pp_string *err) {
    pp_status st = token_value(t, ret, err);
    test_fault_v1_host_token_release(&t, NULL);
    return st;
}

static pp_status f_inc(uint32_t x, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = x + 1;
    return PP_OK;
}

static pp_status f_count(test_fault_v1_list_u8 data, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = (uint32_t)data.len;
    return PP_OK;
}

static pp_status f_describe(pp_string name, test_fault_v1_faults_pair p, pp_string *ret, pp_string *err) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%.*s:%g", (int)(name.len > 200 ? 200 : name.len), name.ptr,
                     (double)p.a + p.b);
    char *out;
    if (n < 0) {
        return set_error(err, PP_ERR_PANIC, "snprintf failed");
    }
    out = malloc((size_t)n);
    if (out == NULL) {
        return set_error(err, PP_ERR_PANIC, "out of memory");
    }
    memcpy(out, buf, (size_t)n);
    ret->ptr = out;
    ret->len = (size_t)n;
    return PP_OK;
}

static pp_status f_mix(test_fault_v1_faults_ff p, test_fault_v1_faults_dd q, test_fault_v1_faults_fi r,
                       test_fault_v1_faults_bd s, test_fault_v1_faults_du t, test_fault_v1_tuple3_f32_f32_f32 u,
                       test_fault_v1_option_f32 v, double w, uint8_t x, test_fault_v1_faults_ff y,
                       test_fault_v1_faults_dd z, pp_string *ret, pp_string *err) {
    char buf[512];
    char *out;
    int n = snprintf(buf, sizeof buf, "%g %g %g %g %g %u %u %g %g %u %g %g %g %s%g %g %u %g %g %g %g",
                     (double)p.a, (double)p.b, q.a, q.b, (double)r.a, (unsigned)r.b, (unsigned)s.a, s.b, t.a,
                     (unsigned)t.b, (double)u.f0, (double)u.f1, (double)u.f2, v.is_some ? "some " : "none ",
                     v.is_some ? (double)v.val : 0.0, w, (unsigned)x, (double)y.a, (double)y.b, z.a, z.b);
    if (n < 0 || (size_t)n >= sizeof buf) {
        return set_error(err, PP_ERR_PANIC, "snprintf failed");
    }
    out = malloc((size_t)n);
    if (out == NULL) {
        return set_error(err, PP_ERR_PANIC, "out of memory");
    }
    memcpy(out, buf, (size_t)n);
    ret->ptr = out;
    ret->len = (size_t)n;
    return PP_OK;
}

static pp_status f_pid(uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = (uint32_t)getpid();
    return PP_OK;
}

static pp_status f_fail(pp_string *err) {
    return set_error(err, PP_ERR_PANIC, "deliberate panic");
}

static pp_status f_abort(pp_string *err) {
    (void)err;
    abort();
}

static pp_status f_segv(pp_string *err) {
    volatile int *volatile p = NULL;
    (void)err;
    *p = 42;
    return PP_OK;
}

static pp_status f_quit(int32_t code, pp_string *err) {
    (void)err;
    exit(code);
}

static pp_status f_hang(uint32_t ms, uint32_t *ret, pp_string *err) {
    struct timespec ts;
    (void)err;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
    *ret = ms;
    return PP_OK;
}

static pp_status f_call_host(uint32_t n, uint64_t *ret, pp_string *err) {
    uint32_t i;
    uint64_t last = 0;
    for (i = 0; i < n; i++) {
        pp_string msg, herr = {NULL, 0};
        uint64_t tid = 0;
        pp_status st;
        msg.ptr = "note from the plugin";
        msg.len = strlen(msg.ptr);
        st = IMPORTS->host->note(msg, &tid, &herr);
        if (st != PP_OK) {
            pp_string_release(&herr, IMPORTS->host->header.dealloc);
            return set_error(err, PP_ERR_PANIC, "host.note failed");
        }
        last = tid;
    }
    *ret = last;
    return PP_OK;
}

static pp_status f_spin(uint32_t ms, uint32_t *ret, pp_string *err) {
    struct timespec start, now;
    volatile uint64_t sink = 0;
    (void)err;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        uint32_t i;
        for (i = 0; i < 100000; i++) {
            sink += i;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((long long)(now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000L <
             (long long)ms);
    *ret = ms;
    return PP_OK;
}

static pp_status f_alloc(uint32_t mib, uint8_t *ret, pp_string *err) {
    size_t n = (size_t)mib * 1024u * 1024u, i;
    char *p = (char *)malloc(n);
    (void)err;
    if (p == NULL) {
        *ret = 0;
        return PP_OK;
    }
    for (i = 0; i < n; i += (size_t)64 * 1024 * 1024) { /* a page every 64 MiB */
        p[i] = 1;
    }
    p[n - 1] = 1;
    free(p);
    *ret = 1;
    return PP_OK;
}

static pp_status f_print(pp_string text, pp_string *err) {
    (void)err;
    printf("%.*s", (int)text.len, text.ptr);
    return PP_OK;
}

static pp_status f_open_files(uint32_t n, test_fault_v1_result_u32_string *ret, pp_string *err) {
    int *fds = (int *)malloc(((size_t)n + 1) * sizeof(int));
    uint32_t i, opened = 0;
    char msg[160];
    if (fds == NULL) {
        return set_error(err, PP_ERR_PANIC, "out of memory");
    }
    msg[0] = 0;
    for (i = 0; i < n; i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            snprintf(msg, sizeof msg, "open #%u of %u failed: %s", (unsigned)(i + 1), (unsigned)n,
                     strerror(errno));
            break;
        }
        fds[opened++] = fd;
    }
    for (i = 0; i < opened; i++) {
        close(fds[i]);
    }
    free(fds);
    if (msg[0] != 0) {
        size_t len = strlen(msg);
        char *p = (char *)malloc(len);
        if (p == NULL) {
            return set_error(err, PP_ERR_PANIC, "out of memory");
        }
        memcpy(p, msg, len);
        ret->is_err = 1;
        ret->val.err.ptr = p;
        ret->val.err.len = len;
        return PP_OK;
    }
    ret->is_err = 0;
    ret->val.ok = n;
    return PP_OK;
}

static const test_fault_v1_faults_table FAULTS = {
    {sizeof(test_fault_v1_faults_table), 0x00010000u, plugin_dealloc},
    f_cell_new,
    f_inc,
    f_count,
    f_describe,
    f_mix,
    f_pid,
    f_fail,
    f_abort,
    f_segv,
    f_quit,
    f_hang,
    f_call_host,
    f_peek_token,
    f_eat_token,
    f_spin,
    f_alloc,
    f_print,
    f_open_files,
};

static const test_fault_v1_plugin_exports EXPORTS = {
    {sizeof(test_fault_v1_plugin_exports), 0x00010000u, plugin_dealloc},
    &FAULTS,
};

static pp_status init(const test_fault_v1_plugin_imports *imports, const test_fault_v1_plugin_exports **exports,
                      pp_string *err) {
    static const char too_small[] = "fault plugin: the imports table has no host interface";
    if (imports->header.size < sizeof(test_fault_v1_plugin_imports) || imports->host == NULL) {
        err->ptr = too_small;
        err->len = sizeof too_small - 1;
        return PP_ERR_INIT;
    }
    IMPORTS = imports;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_FAULT_V1_PLUGIN_EXPORT("fault-c", "1.0.0", init)
