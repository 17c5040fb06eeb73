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
