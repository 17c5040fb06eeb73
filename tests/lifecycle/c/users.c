/* The test:users@1.0.0 plugin in C (scenario S3), the twin of plugin-users-rust: the
 * `user` record is the struct of the generated header users.h. Built against the header
 * of wit/users.wit it is accepted next to the Rust plugin; built against the header of
 * wit/changed/users.wit (`age` is u64 there) the loader refuses it, naming the field.
 * The tests compile it with several compilers and flags (scenario S5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "users.h"

typedef test_users_v1_directory_user user;

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

static pp_status fail(pp_status status, const char *message, pp_string *err) {
    size_t n = strlen(message);
    char *copy = (char *)malloc(n);
    if (copy != NULL) {
        memcpy(copy, message, n);
        err->ptr = copy;
        err->len = n;
    }
    return status;
}

static int valid_user(const user *u) {
    return !(u->name.len > 0 && u->name.ptr == NULL);
}

static pp_status describe(user u, pp_string *ret, pp_string *err) {
    char age[24];
    int digits;
    size_t n;
    char *out;
    if (!valid_user(&u)) {
        return fail(PP_ERR_INVALID_ARGUMENT, "u.name: NULL pointer with non-zero length", err);
    }
    digits = snprintf(age, sizeof age, "%llu", (unsigned long long)u.age);
    if (digits < 0) {
        return fail(PP_ERR_PANIC, "snprintf failed", err);
    }
    n = u.name.len + 2 + (size_t)digits + 1; /* "<name> (<age>)" */
    out = (char *)malloc(n);
    if (out == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    if (u.name.len > 0) {
        memcpy(out, u.name.ptr, u.name.len);
    }
    memcpy(out + u.name.len, " (", 2);
    memcpy(out + u.name.len + 2, age, (size_t)digits);
    out[n - 1] = ')';
    ret->ptr = out;
    ret->len = n;
    return PP_OK;
}

static pp_status oldest(test_users_v1_list_directory_user users,
                        test_users_v1_option_directory_user *ret, pp_string *err) {
    const user *best = NULL;
    size_t i;
    char *name = NULL;
    if (users.len > 0 && users.ptr == NULL) {
        return fail(PP_ERR_INVALID_ARGUMENT, "users: NULL pointer with non-zero length", err);
    }
    for (i = 0; i < users.len; i++) {
        if (!valid_user(&users.ptr[i])) {
            return fail(PP_ERR_INVALID_ARGUMENT, "users[i].name: NULL pointer with non-zero length", err);
        }
        if (best == NULL || users.ptr[i].age > best->age) { /* the first one on a tie */
            best = &users.ptr[i];
        }
    }
    memset(ret, 0, sizeof *ret);
    if (best == NULL) {
        ret->is_some = 0;
        return PP_OK;
    }
    /* The result is owned by the host: copy the borrowed name (empty: no allocation). */
    if (best->name.len > 0) {
        name = (char *)malloc(best->name.len);
        if (name == NULL) {
            return fail(PP_ERR_PANIC, "out of memory", err);
        }
        memcpy(name, best->name.ptr, best->name.len);
    }
    ret->is_some = 1;
    ret->val.name.ptr = name;
    ret->val.name.len = best->name.len;
    ret->val.age = best->age;
    return PP_OK;
}

static const test_users_v1_directory_table DIRECTORY = {
    {sizeof(test_users_v1_directory_table), 0x00010000u, plugin_dealloc},
    describe,
    oldest,
};

static const test_users_v1_users_exports EXPORTS = {
    {sizeof(test_users_v1_users_exports), 0x00010000u, plugin_dealloc},
    &DIRECTORY,
};

static pp_status init(const test_users_v1_users_imports *imports,
                      const test_users_v1_users_exports **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_USERS_V1_USERS_EXPORT("users-c", "1.0.0", init)
