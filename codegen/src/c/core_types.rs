//! The core block every generated header starts with: the core types of `docs/abi.md`
//! section 2 and the portability macros the rest of the header uses. It is guarded by
//! `PLUGPORT_ABI_CORE_V1`, so headers of several worlds can be included together.

/// The core block, verbatim.
pub(super) const CORE: &str = r#"#ifndef PLUGPORT_ABI_CORE_V1
#define PLUGPORT_ABI_CORE_V1

/* ---- plugport ABI version 1: core types (docs/abi.md section 2) ---- */

typedef int32_t pp_status;
#define PP_OK                   0 /* success; out-parameters are set            */
#define PP_ERR_PANIC            1 /* callee panicked / threw; err has message    */
#define PP_ERR_INVALID_ARGUMENT 2 /* callee rejected an argument; err says which */
#define PP_ERR_UNSUPPORTED      3 /* caller-side: slot absent (older plugin)     */
#define PP_ERR_INVALID_RESULT   4 /* caller-side: callee's result failed checks  */
#define PP_ERR_INIT             5 /* the plugin entry refused to initialise      */
#define PP_ERR_ISOLATION        6 /* runtime: the isolated plugin process could
                                     not answer (crash, exit, kill, deadline)   */

/* Releases one allocation: exactly its pointer, size and alignment; never size 0. */
typedef void (*pp_dealloc_fn)(void *ptr, size_t size, size_t align);

/* UTF-8 text, not NUL-terminated: len bytes at ptr (ptr may be anything if len == 0). */
typedef struct pp_string {
    const char *ptr;
    size_t len;
} pp_string;

/* Starts every function table and vtable. */
typedef struct pp_table_header {
    uint32_t size;         /* sizeof the whole table, bytes                  */
    uint32_t version;      /* major << 16 | minor of the defining package    */
    pp_dealloc_fn dealloc; /* releases what this table's functions allocated */
} pp_table_header;

/* PP_STATIC_ASSERT(condition, unique_identifier): a compile-time check in C99, C11 and
 * C++. PP_ALIGNOF(T): the alignment of T, where the compiler has an operator for it
 * (C11, C++11, GNU, MSVC; not a strict C99 compiler), with PP_HAVE_ALIGNOF when it is a
 * constant the layout checks can use. The release helpers do not need it. */
#if defined(__cplusplus) && \
    (__cplusplus >= 201103L || (defined(_MSVC_LANG) && _MSVC_LANG >= 201103L))
#define PP_STATIC_ASSERT(cond, name) static_assert(cond, #name)
#define PP_ALIGNOF(T) alignof(T)
#define PP_HAVE_ALIGNOF 1
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PP_STATIC_ASSERT(cond, name) _Static_assert(cond, #name)
#define PP_ALIGNOF(T) _Alignof(T)
#define PP_HAVE_ALIGNOF 1
#else
#define PP_STATIC_ASSERT(cond, name) typedef char pp_static_assert_##name[(cond) ? 1 : -1]
#if defined(__GNUC__) && !defined(__cplusplus)
#define PP_ALIGNOF(T) (__extension__ _Alignof(T))
#define PP_HAVE_ALIGNOF 1
#elif defined(__GNUC__)
#define PP_ALIGNOF(T) __alignof__(T)
#elif defined(_MSC_VER)
#define PP_ALIGNOF(T) __alignof(T)
#elif defined(__cplusplus)
#error "plugport headers need C99 or later, or C++11 or later"
#endif
#endif

/* The layout checks hold for 64-bit targets (x86_64, aarch64, ...). */
#if defined(UINTPTR_MAX) && UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define PP_CHECK_LAYOUT 1
#endif

/* Linkage and placement of what a plugin exports (descriptor and entry). */
#ifdef __cplusplus
#define PP_EXTERN_DECL extern "C"
#else
#define PP_EXTERN_DECL extern
#endif
#if defined(_WIN32) || defined(__CYGWIN__)
#define PP_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define PP_EXPORT __attribute__((visibility("default")))
#else
#define PP_EXPORT
#endif
#if defined(__APPLE__)
#define PP_DESCRIPTOR_SECTION __attribute__((section("__DATA,__plugport"), used))
#elif defined(__GNUC__)
#define PP_DESCRIPTOR_SECTION __attribute__((section(".plugport"), used))
#elif defined(_MSC_VER)
#define PP_DESCRIPTOR_SECTION \
    __pragma(section(".plugport", read)) __declspec(allocate(".plugport"))
#else
#define PP_DESCRIPTOR_SECTION /* unknown compiler: place the blob in .plugport yourself */
#endif

/* Releases an owned string (a result or an error message) with the dealloc of the table
 * whose function produced it, and empties it. A NULL ptr (invalid with len > 0) or
 * dealloc leaks rather than crashes. */
static inline void pp_string_release(pp_string *v, pp_dealloc_fn dealloc) {
    if (v->len > 0 && v->ptr != NULL && dealloc != NULL) {
        dealloc((void *)(uintptr_t)v->ptr, v->len, 1);
    }
    v->ptr = NULL;
    v->len = 0;
}

#ifdef PP_CHECK_LAYOUT
PP_STATIC_ASSERT(sizeof(pp_string) == 16, pp_string_size);
PP_STATIC_ASSERT(offsetof(pp_string, ptr) == 0, pp_string_ptr_offset);
PP_STATIC_ASSERT(offsetof(pp_string, len) == 8, pp_string_len_offset);
PP_STATIC_ASSERT(sizeof(pp_table_header) == 16, pp_table_header_size);
PP_STATIC_ASSERT(offsetof(pp_table_header, size) == 0, pp_table_header_size_offset);
PP_STATIC_ASSERT(offsetof(pp_table_header, version) == 4, pp_table_header_version_offset);
PP_STATIC_ASSERT(offsetof(pp_table_header, dealloc) == 8, pp_table_header_dealloc_offset);
#ifdef PP_HAVE_ALIGNOF
PP_STATIC_ASSERT(PP_ALIGNOF(pp_string) == 8, pp_string_align);
PP_STATIC_ASSERT(PP_ALIGNOF(pp_table_header) == 8, pp_table_header_align);
#endif
#endif

#endif /* PLUGPORT_ABI_CORE_V1 */
"#;

/// The checked-caller core (`docs/abi.md` section 11): the caller-side error `pp_error`,
/// the UTF-8 and `char` checks, the descriptions the generated `<type>_check` validators
/// return, and the helpers the generated checked callers and validating trampolines use.
/// Guarded by `PLUGPORT_CALLERS_V1`, so headers of several worlds can be included
/// together. It uses no C library header (strict C99, freestanding 32-bit builds of the
/// header compile too); only the trampolines allocate, through `PP_CALLEE_ALLOC`, which
/// the top of the header defines as `malloc` in hosted builds unless the includer did.
pub(super) const CALLERS: &str = r#"#ifndef PLUGPORT_CALLERS_V1
#define PLUGPORT_CALLERS_V1

/* ---- Checked callers and validating trampolines: core (docs/abi.md section 11) ---- */

/* A caller-side error message and the dealloc that releases it. dealloc == NULL: the text
 * is static (made by the checked caller itself) and must not be freed. Release it with
 * pp_error_release whatever the status. */
typedef struct pp_error {
    pp_string message;
    pp_dealloc_fn dealloc;
} pp_error;

/* What a <type>_check validator returns for an invalid value (NULL when it is valid). */
#define PP_WHY_NULL_PTR "NULL pointer with len > 0"
#define PP_WHY_SIZE     "length too large (more than PTRDIFF_MAX bytes)"
#define PP_WHY_UTF8     "invalid UTF-8"
#define PP_WHY_CHAR     "char is not a Unicode scalar value"
#define PP_WHY_BOOL     "bool is neither 0 nor 1"
#define PP_WHY_ENUM     "enum value out of range"
#define PP_WHY_TAG      "variant tag out of range"
#define PP_WHY_FLAGS    "unknown flag bits"
#define PP_WHY_OPTION   "option discriminant is neither 0 nor 1"
#define PP_WHY_RESULT   "result discriminant is neither 0 nor 1"
#define PP_WHY_HANDLE   "invalid handle (NULL self or vtable, or a vtable without drop)"
#define PP_WHY_ALIAS    "points into an argument (docs/abi.md rule 1)"

/* The longest callee error message a checked caller keeps (as the Rust bindings). */
#define PP_MAX_ERROR_MESSAGE ((size_t)64 * 1024)

/* Releases the message (when it is owned) and empties the error; safe on a zeroed one. */
static inline void pp_error_release(pp_error *e) {
    if (e->message.len > 0 && e->message.ptr != NULL && e->dealloc != NULL) {
        e->dealloc((void *)(uintptr_t)e->message.ptr, e->message.len, 1);
    }
    e->message.ptr = NULL;
    e->message.len = 0;
    e->dealloc = NULL;
}

/* No C library header is needed: the header works with the freestanding <stddef.h> and
 * <stdint.h> alone. PP_MEMSET / PP_MEMCPY are the compiler's built-ins where it has them
 * (a constant size compiles to plain stores and loads), else byte loops. */
#if defined(__GNUC__) || defined(__clang__)
#define PP_MEMSET(p, c, n) __builtin_memset((p), (c), (n))
#define PP_MEMCPY(d, s, n) __builtin_memcpy((d), (s), (n))
#else
static inline void pp_memset_(void *p, int c, size_t n) {
    unsigned char *b = (unsigned char *)p;
    while (n-- > 0) {
        *b++ = (unsigned char)c;
    }
}
static inline void pp_memcpy_(void *d, const void *s, size_t n) {
    unsigned char *b = (unsigned char *)d;
    const unsigned char *a = (const unsigned char *)s;
    while (n-- > 0) {
        *b++ = *a++;
    }
}
#define PP_MEMSET(p, c, n) pp_memset_((p), (c), (n))
#define PP_MEMCPY(d, s, n) pp_memcpy_((d), (s), (n))
#endif

/* 1 when the len bytes at ptr are UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), else 0. (NULL, 0) is valid; (NULL, len > 0) is not. */
static inline int pp_utf8_valid(const char *ptr, size_t len) {
    const unsigned char *s = (const unsigned char *)ptr;
    size_t i = 0;
    if (len > 0 && ptr == NULL) {
        return 0;
    }
    while (i < len) {
        unsigned char c;
        size_t need, k;
        uint32_t cp, min;
        /* ASCII fast path: 32, then 8 bytes a step while none has its high bit set (PP_MEMCPY
         * into a uint64_t compiles to one unaligned load). */
        while (len - i >= 32) {
            uint64_t w0, w1, w2, w3;
            PP_MEMCPY(&w0, s + i, 8);
            PP_MEMCPY(&w1, s + i + 8, 8);
            PP_MEMCPY(&w2, s + i + 16, 8);
            PP_MEMCPY(&w3, s + i + 24, 8);
            if (((w0 | w1 | w2 | w3) & UINT64_C(0x8080808080808080)) != 0) {
                break;
            }
            i += 32;
        }
        while (len - i >= 8) {
            uint64_t w;
            PP_MEMCPY(&w, s + i, 8);
            if ((w & UINT64_C(0x8080808080808080)) != 0) {
                break;
            }
            i += 8;
        }
        if (i == len) {
            break;
        }
        c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1Fu;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0Fu;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07u;
            min = 0x10000;
        } else {
            return 0;
        }
        if (len - i - 1 < need) {
            return 0;
        }
        for (k = 1; k <= need; k++) {
            unsigned char cc = s[i + k];
            if ((cc & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (uint32_t)(cc & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) {
            return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* 1 when c is a Unicode scalar value (at most 0x10FFFF, not 0xD800-0xDFFF), else 0. */
static inline int pp_char_valid(uint32_t c) {
    return c <= 0x10FFFFu && (c < 0xD800u || c > 0xDFFFu);
}

/* The validators of the scalar types that have invalid values, and of strings. */
static inline const char *pp_bool_check(const uint8_t *v) {
    return *v > 1 ? PP_WHY_BOOL : (const char *)0;
}

static inline const char *pp_char_check(const uint32_t *v) {
    return pp_char_valid(*v) ? (const char *)0 : PP_WHY_CHAR;
}

static inline const char *pp_string_check(const pp_string *v) {
    if (v->len > 0 && v->ptr == NULL) {
        return PP_WHY_NULL_PTR;
    }
    if (v->len > (size_t)PTRDIFF_MAX) {
        return PP_WHY_SIZE;
    }
    return pp_utf8_valid(v->ptr, v->len) ? (const char *)0 : PP_WHY_UTF8;
}

/* Helpers of the generated code. */
static inline void pp_zero(void *p, size_t n) {
    PP_MEMSET(p, 0, n);
}

static inline size_t pp_strlen(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

static inline int pp_streq(const char *a, const char *b) {
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static inline void pp_error_static(pp_error *err, const char *text) {
    err->message.ptr = text;
    err->message.len = pp_strlen(text);
    err->dealloc = (pp_dealloc_fn)0;
}

/* 1 when [a, a + alen * asize) and [b, b + blen * bsize) share a byte. */
static inline int pp_overlaps(const void *a, size_t alen, size_t asize, const void *b, size_t blen,
                              size_t bsize) {
    uintptr_t a0, b0;
    if (a == NULL || b == NULL || alen == 0 || blen == 0 || alen > (size_t)PTRDIFF_MAX / asize ||
        blen > (size_t)PTRDIFF_MAX / bsize) {
        return 0;
    }
    a0 = (uintptr_t)a;
    b0 = (uintptr_t)b;
    return a0 < b0 + blen * bsize && b0 < a0 + alen * asize;
}

/* Takes the callee's error message msg (status != PP_OK) into *err: checked like any
 * received string (docs/abi.md section 5), and kept only when it is valid and at most
 * PP_MAX_ERROR_MESSAGE bytes; otherwise released and replaced by a static text. */
static inline void pp_error_from_callee(pp_error *err, pp_string msg, pp_dealloc_fn dealloc) {
    if (msg.len > 0 && msg.ptr == NULL) {
        pp_error_static(err, "(the callee's error message had a NULL pointer with len > 0)");
    } else if (msg.len > PP_MAX_ERROR_MESSAGE) {
        pp_string_release(&msg, dealloc);
        pp_error_static(err, "(the callee's error message was longer than 64 KiB and was dropped)");
    } else if (!pp_utf8_valid(msg.ptr, msg.len)) {
        pp_string_release(&msg, dealloc);
        pp_error_static(err, "(the callee's error message was not valid UTF-8 and was dropped)");
    } else {
        err->message = msg;
        err->dealloc = msg.len > 0 ? dealloc : (pp_dealloc_fn)0;
    }
}

/* Trampolines: sets *err to an owned "<what><why>" allocated with PP_CALLEE_ALLOC (left
 * empty when allocation fails or no allocator is defined) and returns
 * PP_ERR_INVALID_ARGUMENT. */
static inline pp_status pp_argument_error(pp_string *err, const char *what, const char *why) {
#ifdef PP_CALLEE_ALLOC
    size_t a = pp_strlen(what), b = pp_strlen(why), i;
    char *text = (char *)PP_CALLEE_ALLOC(a + b);
    if (text != NULL) {
        for (i = 0; i < a; i++) {
            text[i] = what[i];
        }
        for (i = 0; i < b; i++) {
            text[a + i] = why[i];
        }
        err->ptr = text;
        err->len = a + b;
    }
#else
    (void)err;
    (void)what;
    (void)why;
#endif
    return PP_ERR_INVALID_ARGUMENT;
}

#ifdef PP_CHECK_LAYOUT
PP_STATIC_ASSERT(sizeof(pp_error) == 24, pp_error_size);
PP_STATIC_ASSERT(offsetof(pp_error, message) == 0, pp_error_message_offset);
PP_STATIC_ASSERT(offsetof(pp_error, dealloc) == 16, pp_error_dealloc_offset);
#endif

#endif /* PLUGPORT_CALLERS_V1 */
"#;
