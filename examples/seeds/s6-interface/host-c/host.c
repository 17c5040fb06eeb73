/* Seed 003 (scenario S6) on plugport, the C host: loads the Go plugin, gets the seed's
 * `Test` object as a handle (an opaque self pointer and a vtable), calls every method
 * through the header's checked callers, and compares every value with the seed's own.
 * Exit status 0 only when every value matches.
 *
 *     seed003-host-c <libseed003_go.so>
 *
 * The header seed003.h is generated: plugport gen examples/seeds/s6-interface/wit --lang c. */
#include <stdio.h>
#include <string.h>

#include "plugport.h"
#include "seed003.h"

static int failed = 0;

/* 1 when a call returned PP_OK; otherwise reports the status and message and releases
 * the message. */
static int called(pp_status st, pp_error *err, const char *what) {
    if (st == PP_OK) {
        return 1;
    }
    fprintf(stderr, "c host: FAILED: %s: status %d: %.*s\n", what, (int)st, (int)err->message.len,
            err->message.len > 0 ? err->message.ptr : "");
    pp_error_release(err);
    failed = 1;
    return 0;
}

/* Compares a received string (not NUL-terminated) with the expected one. */
static void check_string(const char *what, pp_string got, const char *want) {
    if (got.len != strlen(want) || memcmp(got.ptr, want, got.len) != 0) {
        fprintf(stderr, "c host: FAILED: %s = \"%.*s\", want \"%s\"\n", what, (int)got.len, got.ptr, want);
        failed = 1;
        return;
    }
    printf("c host: %s = \"%.*s\"\n", what, (int)got.len, got.ptr);
}

int main(int argc, char **argv) {
    plugport_plugin *plugin = NULL;
    const seed_iface_v1_tester_table *tester;
    seed_iface_v1_seed003_imports imports;
    seed_iface_v1_tester_test test;
    seed_iface_v1_tester_test_struct st;
    pp_string s;
    int64_t i;
    double f;
    pp_dealloc_fn dealloc;
    pp_error err;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <plugin.so>\n", argv[0]);
        return 2;
    }
    imports.header.size = sizeof imports;
    imports.header.version = 0x00010000u;
    imports.header.dealloc = NULL;
    if (seed_iface_v1_seed003_open(argv[1], &imports, &plugin) != 0) {
        fprintf(stderr, "c host: cannot load plugin: %s\n", plugport_last_error());
        return 1;
    }
    tester = seed_iface_v1_seed003_exports_get_tester(seed_iface_v1_seed003_exports_of(plugin));
    if (!called(seed_iface_v1_tester_call_return_interface(tester, &test, &err), &err, "ReturnInterface")) {
        plugport_close(plugin);
        return 1;
    }
    /* Results of methods are released with the dealloc of the object's vtable. */
    dealloc = test.vtable->header.dealloc;

    if (called(seed_iface_v1_tester_test_call_test_return_string(test, &s, &err), &err, "TestReturnString")) {
        check_string("TestReturnString()", s, "ReturnInterface");
        dealloc((void *)s.ptr, s.len, 1);
    }
    if (called(seed_iface_v1_tester_test_call_test_return_int(test, &i, &err), &err, "TestReturnInt")) {
        if (i != INT64_C(9876543210)) {
            fprintf(stderr, "c host: FAILED: TestReturnInt() = %lld\n", (long long)i);
            failed = 1;
        } else {
            printf("c host: TestReturnInt() = %lld\n", (long long)i);
        }
    }
    if (called(seed_iface_v1_tester_test_call_test_return_float64(test, &f, &err), &err, "TestReturnFloat64")) {
        if (f != 123.456789) {
            fprintf(stderr, "c host: FAILED: TestReturnFloat64() = %.17g\n", f);
            failed = 1;
        } else {
            printf("c host: TestReturnFloat64() = %.9g\n", f);
        }
    }
    if (called(seed_iface_v1_tester_test_call_test_return_struct(test, &st, &err), &err, "TestReturnStruct")) {
        if (st.a != INT64_C(1234567890)) {
            fprintf(stderr, "c host: FAILED: TestReturnStruct().A = %lld\n", (long long)st.a);
            failed = 1;
        } else {
            printf("c host: TestReturnStruct().A = %lld\n", (long long)st.a);
        }
        check_string("TestReturnStruct().B", st.b, "哟哟,切克闹,煎饼果子来一套。");
        /* C, the seed's func() string, is a callback object with a method `call`. */
        if (called(seed_iface_v1_tester_callback_call_call(st.c, &s, &err), &err, "TestReturnStruct().C.call")) {
            check_string("TestReturnStruct().C()", s, "我是一个粉刷匠,粉刷本领强");
            st.c.vtable->header.dealloc((void *)s.ptr, s.len, 1);
        }
        /* Releases B with the table's dealloc and drops the callback object. */
        seed_iface_v1_tester_test_struct_release(&st, dealloc);
    }
    seed_iface_v1_tester_test_release(&test, dealloc);
    plugport_close(plugin);
    if (failed) {
        return 1;
    }
    printf("c host: OK\n");
    return 0;
}
