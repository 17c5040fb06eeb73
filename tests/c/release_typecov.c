/* The release helpers of typecov.h walk owned values exactly as docs/abi.md section 6
 * says: every string and list with len > 0 is released once, with its size and alignment,
 * after its elements; invalid discriminants are not followed; own handles are dropped
 * through their vtable; len == 0 means no allocation whatever ptr is. Corrupt values
 * (NULL or short-vtable handles, impossible lengths, a NULL dealloc) leak, never crash.
 * Compiled as C and as C++; exit status 0 and "ok" on success. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "typecov.h"

#ifdef PLUGPORT_TEST_STRICT_C99
/* A strict C99 compiler has no alignment operator, and the header must not fake one
 * (defining a type inside offsetof is undefined in ISO C): the release helpers work
 * without it. */
#if defined(PP_ALIGNOF) || defined(PP_HAVE_ALIGNOF)
#error "PP_ALIGNOF is defined for a strict C99 compiler"
#endif
#endif

static int calls, bad_calls;
static size_t bytes, last_align;

static void counting_dealloc(void *ptr, size_t size, size_t align) {
    calls++;
    bytes += size;
    last_align = align;
    if (ptr == NULL || size == 0 || align == 0 || (align & (align - 1)) != 0) {
        bad_calls++;
    }
    free(ptr);
}

static void reset(void) {
    calls = 0;
    bad_calls = 0;
    bytes = 0;
    last_align = 0;
}

static pp_string owned(const char *text) {
    pp_string s;
    size_t n = strlen(text);
    char *p = (char *)malloc(n);
    memcpy(p, text, n);
    s.ptr = p;
    s.len = n;
    return s;
}

static void *owned_array(size_t n, size_t size) {
    return malloc(n * size);
}

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

/* A person owning a name and two tags: four allocations. */
static test_typecov_v1_types_person make_person(const char *name) {
    test_typecov_v1_types_person p;
    pp_string *tags = (pp_string *)owned_array(2, sizeof(pp_string));
    memset(&p, 0, sizeof p);
    p.name = owned(name);
    p.age = 42;
    tags[0] = owned("x");
    tags[1] = owned("yz");
    p.tags.ptr = tags;
    p.tags.len = 2;
    p.home.is_some = 1;
    p.home.val.x = 1;
    p.home.val.y = 2;
    return p;
}

static int drops;
static void *dropped_self;
static void counter_drop(void *self) {
    drops++;
    dropped_self = self;
}

int main(void) {
    {
        pp_string s = owned("hello");
        reset();
        pp_string_release(&s, counting_dealloc);
        CHECK(calls == 1 && bytes == 5 && last_align == 1);
        CHECK(s.ptr == NULL && s.len == 0);
        /* An empty string owns nothing, whatever its pointer. */
        s.ptr = "not owned";
        s.len = 0;
        pp_string_release(&s, counting_dealloc);
        CHECK(calls == 1);
    }
    {
        test_typecov_v1_types_person p = make_person("ada");
        reset();
        test_typecov_v1_types_person_release(&p, counting_dealloc);
        CHECK(calls == 4 && bad_calls == 0);
        CHECK(bytes == 3 + 1 + 2 + 2 * sizeof(pp_string));
        CHECK(last_align == 8); /* the tags array, released after its elements */
        CHECK(p.name.len == 0 && p.tags.ptr == NULL && p.tags.len == 0);
    }
    {
        test_typecov_v1_types_person p;
        memset(&p, 0, sizeof p);
        p.tags.ptr = (const pp_string *)(uintptr_t)16; /* len 0: never dereferenced */
        reset();
        test_typecov_v1_types_person_release(&p, counting_dealloc);
        CHECK(calls == 0);
    }
    {
        test_typecov_v1_types_shape sh;
        sh.tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
        sh.val.named = owned("circle-ish");
        reset();
        test_typecov_v1_types_shape_release(&sh, counting_dealloc);
        CHECK(calls == 1 && bytes == 10);
        sh.tag = 9; /* invalid: not followed */
        sh.val.named.ptr = (const char *)(uintptr_t)16;
        sh.val.named.len = 1000;
        test_typecov_v1_types_shape_release(&sh, counting_dealloc);
        sh.tag = TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE;
        sh.val.circle = 1.5;
        test_typecov_v1_types_shape_release(&sh, counting_dealloc);
        CHECK(calls == 1);
    }
    {
        test_typecov_v1_option_result_list_types_person_types_shape v;
        test_typecov_v1_types_person *people =
            (test_typecov_v1_types_person *)owned_array(1, sizeof(test_typecov_v1_types_person));
        people[0] = make_person("p");
        v.is_some = 1;
        v.val.is_err = 0;
        v.val.val.ok.ptr = people;
        v.val.val.ok.len = 1;
        reset();
        test_typecov_v1_option_result_list_types_person_types_shape_release(&v, counting_dealloc);
        CHECK(calls == 5 && bad_calls == 0);
        CHECK(bytes == 1 + 1 + 2 + 2 * sizeof(pp_string) + sizeof(test_typecov_v1_types_person));
        CHECK(last_align == 8);

        v.is_some = 1;
        v.val.is_err = 1;
        v.val.val.err.tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
        v.val.val.err.val.named = owned("e");
        reset();
        test_typecov_v1_option_result_list_types_person_types_shape_release(&v, counting_dealloc);
        CHECK(calls == 1 && bytes == 1);

        v.is_some = 2; /* invalid */
        v.val.is_err = 1;
        reset();
        test_typecov_v1_option_result_list_types_person_types_shape_release(&v, counting_dealloc);
        v.is_some = 1;
        v.val.is_err = 7; /* invalid */
        test_typecov_v1_option_result_list_types_person_types_shape_release(&v, counting_dealloc);
        CHECK(calls == 0);
    }
    {
        test_typecov_v1_result_u32_string r;
        r.is_err = 0;
        r.val.ok = 7;
        reset();
        test_typecov_v1_result_u32_string_release(&r, counting_dealloc);
        CHECK(calls == 0);
        r.is_err = 1;
        r.val.err = owned("bad");
        test_typecov_v1_result_u32_string_release(&r, counting_dealloc);
        CHECK(calls == 1 && bytes == 3);
    }
    {
        test_typecov_v1_list_u64 l;
        test_typecov_v1_types_point_list pts;
        test_typecov_v1_tuple3_u8_string_f64 t;
        l.ptr = (const uint64_t *)owned_array(3, sizeof(uint64_t));
        l.len = 3;
        reset();
        test_typecov_v1_list_u64_release(&l, counting_dealloc);
        CHECK(calls == 1 && bytes == 24 && last_align == 8);
        pts.ptr = (const test_typecov_v1_types_point *)owned_array(2, sizeof(test_typecov_v1_types_point));
        pts.len = 2;
        reset();
        test_typecov_v1_types_point_list_release(&pts, counting_dealloc);
        CHECK(calls == 1 && bytes == 16 && last_align == 4);
        t.f0 = 1;
        t.f1 = owned("mid");
        t.f2 = 2.0;
        reset();
        test_typecov_v1_tuple3_u8_string_f64_release(&t, counting_dealloc);
        CHECK(calls == 1 && bytes == 3);
    }
    {
        static test_typecov_v1_store_counter_vtable vt;
        test_typecov_v1_store_counter h;
        int token = 0;
        vt.header.size = (uint32_t)sizeof vt;
        vt.drop = counter_drop;
        h.self = &token;
        h.vtable = &vt;
        reset();
        test_typecov_v1_store_counter_release(&h, counting_dealloc);
        CHECK(drops == 1 && dropped_self == (void *)&token && calls == 0);
        CHECK(h.self == NULL && h.vtable == NULL);
        test_typecov_v1_store_counter_release(&h, counting_dealloc); /* already released */
        CHECK(drops == 1);

        /* Invalid handles (section 5: self and vtable never NULL) are not dropped. */
        h.self = NULL;
        h.vtable = &vt;
        test_typecov_v1_store_counter_release(&h, counting_dealloc);
        CHECK(drops == 1 && h.vtable == NULL);
        h.self = &token;
        h.vtable = NULL;
        test_typecov_v1_store_counter_release(&h, counting_dealloc);
        CHECK(drops == 1 && h.self == NULL);
        /* A vtable whose size does not cover drop (a corrupt or foreign table) is not
         * called through, like a missing slot (section 5, Evolution). */
        vt.header.size = (uint32_t)offsetof(test_typecov_v1_store_counter_vtable, drop);
        h.self = &token;
        h.vtable = &vt;
        test_typecov_v1_store_counter_release(&h, counting_dealloc);
        CHECK(drops == 1 && h.self == NULL && h.vtable == NULL);
        vt.header.size = (uint32_t)(offsetof(test_typecov_v1_store_counter_vtable, drop) +
                                    sizeof(void *));
        h.self = &token;
        h.vtable = &vt;
        test_typecov_v1_store_counter_release(&h, counting_dealloc);
        CHECK(drops == 2);
    }
    {
        /* Lengths no allocation can have leak rather than crash: the size would wrap, and
         * the elements cannot be there. */
        test_typecov_v1_list_u64 l;
        test_typecov_v1_types_person p;
        l.ptr = (const uint64_t *)(uintptr_t)64;
        l.len = (size_t)-1 / sizeof(uint64_t) + 2; /* len * 8 wraps to 8 */
        reset();
        test_typecov_v1_list_u64_release(&l, counting_dealloc);
        CHECK(calls == 0 && l.ptr == NULL && l.len == 0);
        l.ptr = (const uint64_t *)(uintptr_t)64;
        l.len = (size_t)PTRDIFF_MAX / sizeof(uint64_t) + 1;
        test_typecov_v1_list_u64_release(&l, counting_dealloc);
        CHECK(calls == 0);
        memset(&p, 0, sizeof p);
        p.tags.ptr = (const pp_string *)(uintptr_t)64; /* never dereferenced */
        p.tags.len = (size_t)-1 / sizeof(pp_string) + 2;
        test_typecov_v1_types_person_release(&p, counting_dealloc);
        CHECK(calls == 0 && p.tags.ptr == NULL && p.tags.len == 0);
        /* A NULL pointer with a length is invalid too. */
        l.ptr = NULL;
        l.len = 3;
        test_typecov_v1_list_u64_release(&l, counting_dealloc);
        CHECK(calls == 0 && l.len == 0);
    }
    {
        /* A table without dealloc (section 2) is never called through: its memory leaks,
         * while handles inside are still dropped. */
        pp_string s = owned("kept");
        test_typecov_v1_list_u64 l;
        char *text = (char *)(uintptr_t)s.ptr;
        l.ptr = (const uint64_t *)owned_array(2, sizeof(uint64_t));
        l.len = 2;
        pp_string_release(&s, NULL);
        CHECK(s.ptr == NULL && s.len == 0);
        free(text);
        text = (char *)(uintptr_t)l.ptr;
        test_typecov_v1_list_u64_release(&l, NULL);
        CHECK(l.ptr == NULL && l.len == 0);
        free(text);
    }
    printf("ok\n");
    return 0;
}
