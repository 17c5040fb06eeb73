/* A C plugin of test:worldres (tests/wit/accept/worldres.wit): a resource declared at
 * world level (docs/abi.md section 5, "Resources declared at world level"). The host
 * implements `counter` in the world's resource table `worldres` (imports->worldres); this
 * plugin creates counters through it, calls their methods and the static `merge`, lends
 * them to the host's `peek`, returns them to the host (`make`, `wrap`, `open`) and takes
 * them from it (`take`, `sum`, `open`), dropping each own handle it holds exactly once.
 *
 * Every exported slot is wrapped in its validating trampoline; every call into the host
 * goes through the checked callers (section 11). Results are released by the host with
 * plugin_dealloc (free). */
#include <stdlib.h>
#include <string.h>

#include "worldres.h"

#define TABLE_VERSION 0x00010000u /* test:worldres@1.0.0 */
#define P(name) test_worldres_v1_##name

typedef P(worldres_counter) counter;

/* Set by init; the host keeps it alive until the plugin is closed. */
static const P(worldres_imports) *g_host;

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* An owned copy of `len` bytes at `text` into *out (nothing to allocate for len 0). */
static int copy(const char *text, size_t len, pp_string *out) {
    char *p = NULL;
    if (len > 0) {
        p = (char *)malloc(len);
        if (p == NULL) {
            return 0;
        }
        memcpy(p, text, len);
    }
    out->ptr = p;
    out->len = len;
    return 1;
}

/* Passes a failed host call's status on, with its message copied into *err. */
static pp_status fail(pp_status st, pp_error *e, pp_string *err) {
    copy(e->message.ptr, e->message.len, err);
    pp_error_release(e);
    return st == PP_OK ? PP_ERR_PANIC : st;
}

static void drop(counter *c) {
    P(worldres_counter_release)(c, NULL);
}

/* *out = c.get(); the host's status on failure. */
static pp_status get(counter c, uint32_t *out, pp_string *err) {
    pp_error e;
    pp_status st = P(worldres_counter_call_get)(c, out, &e);
    if (st != PP_OK) {
        return fail(st, &e, err);
    }
    pp_error_release(&e);
    return PP_OK;
}

static pp_status make_counter(uint32_t start, counter *ret, pp_string *err) {
    pp_error e;
    pp_status st = P(worldres_call_counter_new)(g_host->worldres, start, ret, &e);
    if (st != PP_OK) {
        return fail(st, &e, err);
    }
    pp_error_release(&e);
    return PP_OK;
}

static pp_status make(uint32_t start, counter *ret, pp_string *err) {
    return make_counter(start, ret, err);
}

static pp_status take(counter c, uint32_t *ret, pp_string *err) {
    pp_status st = get(c, ret, err);
    drop(&c);
    return st;
}

static pp_status look(counter c, uint32_t *ret, pp_string *err) {
    return get(c, ret, err);
}

/* The sum of every counter's value; the owned ones (items, extra) are dropped. */
static pp_status sum(P(list_worldres_counter) items, P(list_borrow_worldres_counter) views,
                     P(option_worldres_counter) extra, uint32_t *ret, pp_string *err) {
    pp_status st = PP_OK;
    uint32_t total = 0, v = 0;
    size_t i;
    for (i = 0; i < items.len; i++) {
        if (st == PP_OK && (st = get(items.ptr[i], &v, err)) == PP_OK) {
            total += v;
        }
        {
            counter owned = items.ptr[i];
            drop(&owned);
        }
    }
    for (i = 0; i < views.len && st == PP_OK; i++) {
        if ((st = get(views.ptr[i], &v, err)) == PP_OK) {
            total += v;
        }
    }
    if (extra.is_some) {
        if (st == PP_OK && (st = get(extra.val, &v, err)) == PP_OK) {
            total += v;
        }
        drop(&extra.val);
    }
    *ret = total;
    return st;
}

static pp_status wrap(pp_string label, P(option_u32) start, P(slot) *ret, pp_string *err) {
    static const char oom[] = "out of memory";
    if (!copy(label.ptr, label.len, &ret->label)) {
        copy(oom, sizeof oom - 1, err);
        return PP_ERR_PANIC;
    }
    ret->item.is_some = start.is_some;
    if (start.is_some) {
        pp_status st = make_counter(start.val, &ret->item.val, err);
        if (st != PP_OK) {
            free((void *)(uintptr_t)ret->label.ptr);
            return st;
        }
    }
    return PP_OK;
}

/* Hands the slot's counter back, or (label "drop") drops it and answers none. */
static pp_status open_slot(P(slot) s, P(option_worldres_counter) *ret, pp_string *err) {
    (void)err;
    if (s.label.len == 4 && memcmp(s.label.ptr, "drop", 4) == 0) {
        if (s.item.is_some) {
            drop(&s.item.val);
        }
        ret->is_some = 0;
        return PP_OK;
    }
    *ret = s.item;
    return PP_OK;
}

static pp_status lend(uint32_t start, uint32_t *ret, pp_string *err) {
    counter a, b, merged;
    pp_error e;
    uint32_t seen = 0, added = 0;
    pp_status st = make_counter(start, &a, err);
    if (st != PP_OK) {
        return st;
    }
    st = P(worldres_imports_call_peek)(g_host, a, &seen, &e);
    if (st != PP_OK) {
        drop(&a);
        return fail(st, &e, err);
    }
    pp_error_release(&e);
    if ((st = make_counter(seen * 10, &b, err)) != PP_OK) {
        drop(&a);
        return st;
    }
    /* `a` borrowed, `b` passes to the host. */
    st = P(worldres_call_counter_merge)(g_host->worldres, a, b, &merged, &e);
    drop(&a);
    if (st != PP_OK) {
        return fail(st, &e, err);
    }
    pp_error_release(&e);
    st = P(worldres_counter_call_add)(merged, 1, &added, &e);
    drop(&merged);
    if (st != PP_OK) {
        return fail(st, &e, err);
    }
    pp_error_release(&e);
    *ret = added;
    return PP_OK;
}

/* ---- forge: a handle the host did not create ---- */
static void forged_drop(void *self) {
    (void)self;
}

static pp_status forged_get(void *self, uint32_t *ret, pp_string *err) {
    (void)self;
    (void)err;
    *ret = 666;
    return PP_OK;
}

static pp_status forged_add(void *self, uint32_t n, uint32_t *ret, pp_string *err) {
    (void)self;
    (void)err;
    *ret = n;
    return PP_OK;
}

static const P(worldres_counter_vtable) FORGED_VT = {
    {sizeof(P(worldres_counter_vtable)), TABLE_VERSION, plugin_dealloc},
    forged_drop,
    forged_get,
    forged_add,
};

/* Calls the static `merge` with a forged `a` (borrowed) and a real `b` (own, so the host
 * drops it although it rejects the call). */
static pp_status forge(pp_string *ret, pp_string *err) {
    static int object;
    counter fake, b, merged;
    pp_error e;
    pp_status st = make_counter(5, &b, err);
    if (st != PP_OK) {
        return st;
    }
    fake.self = &object;
    fake.vtable = &FORGED_VT;
    st = P(worldres_call_counter_merge)(g_host->worldres, fake, b, &merged, &e);
    if (st == PP_OK) {
        pp_error_release(&e);
        drop(&merged);
        ret->ptr = NULL;
        ret->len = 0;
        return PP_OK;
    }
    if (st != PP_ERR_INVALID_ARGUMENT || !copy(e.message.ptr, e.message.len, ret)) {
        return fail(st, &e, err);
    }
    pp_error_release(&e);
    return PP_OK;
}

#define T(name) TEST_WORLDRES_V1_WORLDRES_EXPORTS_##name##_TRAMPOLINE
T(MAKE)(make_checked, make)
T(TAKE)(take_checked, take)
T(LOOK)(look_checked, look)
T(SUM)(sum_checked, sum)
T(WRAP)(wrap_checked, wrap)
T(OPEN)(open_checked, open_slot)
T(LEND)(lend_checked, lend)
T(FORGE)(forge_checked, forge)

static const P(worldres_exports) EXPORTS = {
    {sizeof(P(worldres_exports)), TABLE_VERSION, plugin_dealloc},
    make_checked,
    take_checked,
    look_checked,
    sum_checked,
    wrap_checked,
    open_checked,
    lend_checked,
    forge_checked,
};

static pp_status init(const P(worldres_imports) *imports, const P(worldres_exports) **exports,
                      pp_string *err) {
    static const char missing[] = "the host gave no world resource table `worldres`";
    if (imports == NULL || imports->worldres == NULL) {
        copy(missing, sizeof missing - 1, err);
        return PP_ERR_INIT;
    }
    g_host = imports;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_WORLDRES_V1_WORLDRES_EXPORT("worldres-c", "1.0.0", init)
