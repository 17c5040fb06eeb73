/* plugport/cpp.hpp: the C++17 runtime helpers of the generated `<world>.hpp` headers
 * (plugport gen --lang cpp). Hand-written, shipped with plugport (installed next to
 * plugport.h, carried by the CMake target plugport::cpp). docs/cpp.md describes them.
 *
 * Include a generated `<world>.hpp` rather than this file: it includes `<world>.h` (the C
 * contract, docs/abi.md) first, which defines the core types used here. Hosts include
 * `plugport.h` (the runtime's C API) before it to get pp::plugin.
 *
 * Everything lives in namespace pp, inside the versioned inline namespace pp::v1, so two
 * plugport versions in one program cannot break the one-definition rule; on GCC and clang
 * it has hidden visibility, so a plugin exports nothing but its entry and descriptor.
 *
 *  - pp::result<T, E>, pp::unexpected<E>: modelled on std::expected (an alias of it where
 *    the standard library has it: __cpp_lib_expected, C++23); .value() throws pp::bad_result_access only when
 *    exceptions are enabled, else it aborts. Nothing else here throws.
 *  - pp::span<T>: a pointer and a length (C++17 has no std::span).
 *  - pp::owned_string, pp::owned_list<T>, pp::owned<T>: owned results (docs/abi.md section
 *    6), zero-copy: they hold the callee's allocation and release it through the dealloc
 *    of the callee's table in their destructor. Move-only.
 *  - pp::call_error: a failed call's status (PP_ERR_*) and message.
 */
#ifndef PLUGPORT_CPP_HPP
#define PLUGPORT_CPP_HPP

#ifndef PLUGPORT_ABI_CORE_V1
#error "plugport/cpp.hpp: include a generated <world>.hpp (or <world>.h first)"
#endif
#if !defined(__cplusplus) || (__cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L))
#error "plugport/cpp.hpp needs C++17 or later"
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>
#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define PP_CPP_EXCEPTIONS 1
#include <exception>
#endif
#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L
#include <expected>
#define PP_CPP_STD_EXPECTED 1
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

namespace pp {
inline namespace v1 {

/* The value of an absent WIT type: the error of `result<T>`, for instance. */
struct unit {
    friend constexpr bool operator==(unit, unit) noexcept { return true; }
    friend constexpr bool operator!=(unit, unit) noexcept { return false; }
};

/* What pp::result::value() throws (with exceptions enabled) when it holds an error. */
#ifdef PP_CPP_EXCEPTIONS
struct bad_result_access : std::exception {
    const char *what() const noexcept override { return "pp::result: value() of an error"; }
};
#endif

namespace detail {
[[noreturn]] inline void bad_access() {
#ifdef PP_CPP_EXCEPTIONS
    throw bad_result_access();
#else
    std::abort();
#endif
}
} // namespace detail

#ifdef PP_CPP_STD_EXPECTED
template <class T, class E>
using result = std::expected<T, E>;
template <class E>
using unexpected = std::unexpected<E>;
#else
/* The error alternative of a pp::result, as std::unexpected. */
template <class E>
class unexpected {
  public:
    constexpr explicit unexpected(E e) : e_(std::move(e)) {}
    constexpr E &error() & noexcept { return e_; }
    constexpr const E &error() const & noexcept { return e_; }
    constexpr E &&error() && noexcept { return std::move(e_); }

  private:
    E e_;
};
template <class E>
unexpected(E) -> unexpected<E>;

/* A value of T or an error of E, as std::expected (the subset plugport uses). */
template <class T, class E>
class result {
  public:
    using value_type = T;
    using error_type = E;
    template <class U = T, class = std::enable_if_t<std::is_constructible_v<T, U &&> &&
                                                    !std::is_same_v<std::decay_t<U>, result>>>
    result(U &&v) : ok_(true) { // NOLINT: implicit, as std::expected
        new (&val_) T(std::forward<U>(v));
    }
    template <class G>
    result(unexpected<G> e) : ok_(false) { // NOLINT
        new (&err_) E(std::move(e).error());
    }
    result(result &&o) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                std::is_nothrow_move_constructible_v<E>)
        : ok_(o.ok_) {
        if (ok_) {
            new (&val_) T(std::move(o.val_));
        } else {
            new (&err_) E(std::move(o.err_));
        }
    }
    result &operator=(result &&o) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                           std::is_nothrow_move_constructible_v<E>) {
        if (this != &o) {
            destroy();
            ok_ = o.ok_;
            if (ok_) {
                new (&val_) T(std::move(o.val_));
            } else {
                new (&err_) E(std::move(o.err_));
            }
        }
        return *this;
    }
    result(const result &) = delete;
    result &operator=(const result &) = delete;
    ~result() { destroy(); }

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    T &operator*() & noexcept { return val_; }
    const T &operator*() const & noexcept { return val_; }
    T &&operator*() && noexcept { return std::move(val_); }
    T *operator->() noexcept { return &val_; }
    const T *operator->() const noexcept { return &val_; }
    T &value() & {
        if (!ok_) {
            detail::bad_access();
        }
        return val_;
    }
    const T &value() const & {
        if (!ok_) {
            detail::bad_access();
        }
        return val_;
    }
    T &&value() && {
        if (!ok_) {
            detail::bad_access();
        }
        return std::move(val_);
    }
    E &error() & noexcept { return err_; }
    const E &error() const & noexcept { return err_; }
    E &&error() && noexcept { return std::move(err_); }
    template <class U>
    T value_or(U &&other) && {
        return ok_ ? std::move(val_) : static_cast<T>(std::forward<U>(other));
    }

  private:
    void destroy() noexcept {
        if (ok_) {
            val_.~T();
        } else {
            err_.~E();
        }
    }
    bool ok_;
    union {
        T val_;
        E err_;
    };
};

/* result<void, E>: success without a value. */
template <class E>
class result<void, E> {
  public:
    using value_type = void;
    using error_type = E;
    result() noexcept : ok_(true) {}
    template <class G>
    result(unexpected<G> e) : ok_(false) { // NOLINT
        new (&err_) E(std::move(e).error());
    }
    result(result &&o) noexcept(std::is_nothrow_move_constructible_v<E>) : ok_(o.ok_) {
        if (!ok_) {
            new (&err_) E(std::move(o.err_));
        }
    }
    result &operator=(result &&o) noexcept(std::is_nothrow_move_constructible_v<E>) {
        if (this != &o) {
            destroy();
            ok_ = o.ok_;
            if (!ok_) {
                new (&err_) E(std::move(o.err_));
            }
        }
        return *this;
    }
    result(const result &) = delete;
    result &operator=(const result &) = delete;
    ~result() { destroy(); }

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void operator*() const noexcept {}
    void value() const {
        if (!ok_) {
            detail::bad_access();
        }
    }
    E &error() & noexcept { return err_; }
    const E &error() const & noexcept { return err_; }
    E &&error() && noexcept { return std::move(err_); }

  private:
    void destroy() noexcept {
        if (!ok_) {
            err_.~E();
        }
    }
    bool ok_;
    union {
        char none_;
        E err_;
    };
};
#endif

/* A view of `len` values of T at `ptr` (C++17 has no std::span). Built from a pointer and
 * a length, a std::vector, an array or a braced list's backing array. */
template <class T>
class span {
  public:
    using element_type = T;
    constexpr span() noexcept = default;
    constexpr span(T *ptr, std::size_t len) noexcept : ptr_(ptr), len_(len) {}
    template <class A, class = std::enable_if_t<std::is_const_v<T>, A>>
    span(const std::vector<A> &v) noexcept : ptr_(v.data()), len_(v.size()) {} // NOLINT
    template <class A, class = std::enable_if_t<std::is_same_v<std::remove_const_t<T>, A>>>
    span(std::vector<A> &v) noexcept : ptr_(v.data()), len_(v.size()) {} // NOLINT
    template <std::size_t N>
    constexpr span(T (&a)[N]) noexcept : ptr_(a), len_(N) {} // NOLINT
    template <class U, class = std::enable_if_t<std::is_convertible_v<U (*)[], T (*)[]>>>
    constexpr span(span<U> o) noexcept : ptr_(o.data()), len_(o.size()) {} // NOLINT

    constexpr T *data() const noexcept { return ptr_; }
    constexpr std::size_t size() const noexcept { return len_; }
    constexpr bool empty() const noexcept { return len_ == 0; }
    constexpr T *begin() const noexcept { return ptr_; }
    constexpr T *end() const noexcept { return ptr_ + len_; }
    constexpr T &operator[](std::size_t i) const noexcept { return ptr_[i]; }
    /* A copy of the elements (explicit: the view itself never copies). */
    std::vector<std::remove_const_t<T>> to_vector() const {
        return std::vector<std::remove_const_t<T>>(ptr_, ptr_ + len_);
    }

  private:
    T *ptr_ = nullptr;
    std::size_t len_ = 0;
};

/* The dealloc of tables filled by C++ code: everything the C++ layer allocates for a
 * result or an error message comes from std::malloc (as PP_CALLEE_ALLOC by default). */
inline void malloc_dealloc(void *ptr, std::size_t size, std::size_t align) noexcept {
    (void)size;
    (void)align;
    std::free(ptr);
}

/* The release helper of a C type (its `<T>_release` from the C header), or nullptr for a
 * type that owns no memory. The generated headers specialise it. */
template <class C>
struct release_traits {
    static constexpr void (*fn)(C *, pp_dealloc_fn) = nullptr;
};
template <>
struct release_traits<pp_string> {
    static constexpr void (*fn)(pp_string *, pp_dealloc_fn) = &pp_string_release;
};

/* An owned string (UTF-8, not NUL-terminated): a result received from a callee, zero-copy,
 * released through the callee table's dealloc; or, in a callee, a string it returns
 * (copied into std::malloc'd memory). Converting to std::string is explicit (str()). */
class owned_string {
  public:
    owned_string() noexcept = default;
    /* Adopts a callee's string and the dealloc that releases it. */
    owned_string(pp_string s, pp_dealloc_fn dealloc) noexcept : s_(s), dealloc_(dealloc) {}
    /* A copy of `text` in std::malloc'd memory (for results of a callee). When allocation
     * fails the string is marked failed() and the generated code returns PP_ERR_PANIC. */
    owned_string(std::string_view text) noexcept { // NOLINT: implicit, for results
        if (!text.empty()) {
            void *p = std::malloc(text.size());
            if (p != nullptr) {
                std::memcpy(p, text.data(), text.size());
            }
            s_.ptr = static_cast<const char *>(p);
            s_.len = text.size();
            dealloc_ = &malloc_dealloc;
        }
    }
    owned_string(const char *text) noexcept : owned_string(std::string_view(text)) {} // NOLINT
    owned_string(const std::string &text) noexcept : owned_string(std::string_view(text)) {} // NOLINT
    owned_string(owned_string &&o) noexcept : s_(o.s_), dealloc_(o.dealloc_) { o.s_ = pp_string{nullptr, 0}; }
    owned_string &operator=(owned_string &&o) noexcept {
        if (this != &o) {
            reset();
            s_ = o.s_;
            dealloc_ = o.dealloc_;
            o.s_ = pp_string{nullptr, 0};
        }
        return *this;
    }
    owned_string(const owned_string &) = delete;
    owned_string &operator=(const owned_string &) = delete;
    ~owned_string() { reset(); }

    std::string_view view() const noexcept {
        return s_.len > 0 && s_.ptr != nullptr ? std::string_view(s_.ptr, s_.len) : std::string_view();
    }
    operator std::string_view() const noexcept { return view(); } // NOLINT
    const char *data() const noexcept { return s_.ptr; }
    std::size_t size() const noexcept { return s_.ptr != nullptr ? s_.len : 0; }
    bool empty() const noexcept { return size() == 0; }
    /* A copy as std::string (explicit: the only copy this class makes). */
    std::string str() const { return std::string(view()); }
    /* True when the allocation of a copy failed (only after the copying constructor). */
    bool failed() const noexcept { return s_.len > 0 && s_.ptr == nullptr; }
    /* Gives up ownership: the C value, to be released with dealloc(). */
    pp_string release() noexcept {
        pp_string s = s_;
        s_ = pp_string{nullptr, 0};
        return s;
    }
    pp_dealloc_fn dealloc() const noexcept { return dealloc_; }
    void reset() noexcept { pp_string_release(&s_, dealloc_); }

    friend bool operator==(const owned_string &a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator!=(const owned_string &a, std::string_view b) noexcept { return a.view() != b; }

  private:
    pp_string s_{nullptr, 0};
    pp_dealloc_fn dealloc_ = nullptr;
};

/* An owned list of C values T (docs/abi.md section 3): zero-copy, released element by
 * element (release_traits<T>) and then as one allocation through the callee's dealloc.
 * In a callee, copy_of() copies elements into std::malloc'd memory. */
template <class T>
class owned_list {
  public:
    owned_list() noexcept = default;
    owned_list(const T *ptr, std::size_t len, pp_dealloc_fn dealloc) noexcept
        : ptr_(ptr), len_(len), dealloc_(dealloc) {}
    /* A copy of `items` in std::malloc'd memory (elements must own nothing themselves, or
     * their ownership passes to the list). failed() when allocation fails. */
    static owned_list copy_of(span<const T> items) noexcept {
        static_assert(std::is_trivially_copyable_v<T>, "owned_list::copy_of copies C values");
        owned_list l;
        if (!items.empty()) {
            void *p = std::malloc(items.size() * sizeof(T));
            if (p != nullptr) {
                std::memcpy(p, static_cast<const void *>(items.data()), items.size() * sizeof(T));
            }
            l.ptr_ = static_cast<const T *>(p);
            l.len_ = items.size();
            l.dealloc_ = &malloc_dealloc;
        }
        return l;
    }
    owned_list(const std::vector<T> &v) noexcept : owned_list(copy_of(span<const T>(v))) {} // NOLINT
    owned_list(owned_list &&o) noexcept : ptr_(o.ptr_), len_(o.len_), dealloc_(o.dealloc_) {
        o.ptr_ = nullptr;
        o.len_ = 0;
    }
    owned_list &operator=(owned_list &&o) noexcept {
        if (this != &o) {
            reset();
            ptr_ = o.ptr_;
            len_ = o.len_;
            dealloc_ = o.dealloc_;
            o.ptr_ = nullptr;
            o.len_ = 0;
        }
        return *this;
    }
    owned_list(const owned_list &) = delete;
    owned_list &operator=(const owned_list &) = delete;
    ~owned_list() { reset(); }

    span<const T> view() const noexcept { return span<const T>(ptr_ != nullptr ? ptr_ : nullptr, ptr_ != nullptr ? len_ : 0); }
    operator span<const T>() const noexcept { return view(); } // NOLINT
    const T *data() const noexcept { return ptr_; }
    std::size_t size() const noexcept { return ptr_ != nullptr ? len_ : 0; }
    bool empty() const noexcept { return size() == 0; }
    const T *begin() const noexcept { return ptr_; }
    const T *end() const noexcept { return ptr_ + size(); }
    const T &operator[](std::size_t i) const noexcept { return ptr_[i]; }
    /* A copy of the elements (explicit); for elements that own memory the copy shares it. */
    std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }
    bool failed() const noexcept { return len_ > 0 && ptr_ == nullptr; }
    /* Gives up ownership: pointer and length, to be released with dealloc(). */
    std::pair<const T *, std::size_t> release() noexcept {
        std::pair<const T *, std::size_t> r(ptr_, len_);
        ptr_ = nullptr;
        len_ = 0;
        return r;
    }
    pp_dealloc_fn dealloc() const noexcept { return dealloc_; }
    void reset() noexcept {
        if (len_ > 0 && ptr_ != nullptr && len_ <= static_cast<std::size_t>(PTRDIFF_MAX) / sizeof(T)) {
            if constexpr (release_traits<T>::fn != nullptr) {
                for (std::size_t i = 0; i < len_; i++) {
                    release_traits<T>::fn(const_cast<T *>(ptr_ + i), dealloc_);
                }
            }
            if (dealloc_ != nullptr) {
                dealloc_(const_cast<void *>(static_cast<const void *>(ptr_)), len_ * sizeof(T), alignof(T));
            }
        }
        ptr_ = nullptr;
        len_ = 0;
    }

  private:
    const T *ptr_ = nullptr;
    std::size_t len_ = 0;
    pp_dealloc_fn dealloc_ = nullptr;
};

/* Any other owned C value (a record, variant or tuple that owns strings, lists or
 * handles): zero-copy, released with its `<T>_release` helper and the callee's dealloc. */
template <class T>
class owned {
  public:
    owned() noexcept : v_() {}
    owned(const T &v, pp_dealloc_fn dealloc) noexcept : v_(v), dealloc_(dealloc) {}
    owned(owned &&o) noexcept : v_(o.v_), dealloc_(o.dealloc_) { std::memset(static_cast<void *>(&o.v_), 0, sizeof(T)); }
    owned &operator=(owned &&o) noexcept {
        if (this != &o) {
            reset();
            v_ = o.v_;
            dealloc_ = o.dealloc_;
            std::memset(static_cast<void *>(&o.v_), 0, sizeof(T));
        }
        return *this;
    }
    owned(const owned &) = delete;
    owned &operator=(const owned &) = delete;
    ~owned() { reset(); }
    const T &get() const noexcept { return v_; }
    const T &operator*() const noexcept { return v_; }
    const T *operator->() const noexcept { return &v_; }
    pp_dealloc_fn dealloc() const noexcept { return dealloc_; }
    T release() noexcept {
        T v = v_;
        std::memset(static_cast<void *>(&v_), 0, sizeof(T));
        return v;
    }
    void reset() noexcept {
        if constexpr (release_traits<T>::fn != nullptr) {
            release_traits<T>::fn(&v_, dealloc_);
        }
        std::memset(static_cast<void *>(&v_), 0, sizeof(T));
    }

  private:
    T v_;
    pp_dealloc_fn dealloc_ = nullptr;
};

/* Why a call failed: the status (PP_ERR_PANIC, PP_ERR_INVALID_ARGUMENT from the callee;
 * PP_ERR_UNSUPPORTED, PP_ERR_INVALID_RESULT from the checked caller) and its message,
 * zero-copy (released through the callee's dealloc, or static). Move-only. */
class call_error {
  public:
    call_error(pp_status status, pp_error e) noexcept : status_(status), e_(e) {}
    call_error(call_error &&o) noexcept : status_(o.status_), e_(o.e_) { o.e_ = pp_error{{nullptr, 0}, nullptr}; }
    call_error &operator=(call_error &&o) noexcept {
        if (this != &o) {
            pp_error_release(&e_);
            status_ = o.status_;
            e_ = o.e_;
            o.e_ = pp_error{{nullptr, 0}, nullptr};
        }
        return *this;
    }
    call_error(const call_error &) = delete;
    call_error &operator=(const call_error &) = delete;
    ~call_error() { pp_error_release(&e_); }
    pp_status status() const noexcept { return status_; }
    std::string_view message() const noexcept {
        return e_.message.len > 0 && e_.message.ptr != nullptr ? std::string_view(e_.message.ptr, e_.message.len)
                                                               : std::string_view();
    }
    /* The status's name: "PP_ERR_PANIC", ... */
    const char *status_name() const noexcept { return name_of(status_); }
    static const char *name_of(pp_status s) noexcept {
        switch (s) {
        case PP_OK: return "PP_OK";
        case PP_ERR_PANIC: return "PP_ERR_PANIC";
        case PP_ERR_INVALID_ARGUMENT: return "PP_ERR_INVALID_ARGUMENT";
        case PP_ERR_UNSUPPORTED: return "PP_ERR_UNSUPPORTED";
        case PP_ERR_INVALID_RESULT: return "PP_ERR_INVALID_RESULT";
        case PP_ERR_INIT: return "PP_ERR_INIT";
        case 6: return "PP_ERR_ISOLATION"; /* headers older than the name lack it */
        default: return "unknown status";
        }
    }
    /* "<status name>: <message>" as a std::string (a copy). */
    std::string to_string() const { return std::string(status_name()) + ": " + std::string(message()); }

  private:
    pp_status status_;
    pp_error e_;
};

namespace detail {

/* Marks the generated client (RAII) classes of resources. */
struct client_resource {};

/* absent_slot<F>::fn: what a generated client (of an interface or world table) calls for a
 * slot the table lacks, resolved once when the client is made (docs/cpp.md, "Cost"). It
 * answers PP_ERR_UNSUPPORTED and touches nothing; the client then calls the C checked
 * caller, which drops the own arguments and writes the message. */
template <class F>
struct absent_slot;
template <class... A>
struct absent_slot<pp_status (*)(A...)> {
    static pp_status fn(A...) noexcept { return PP_ERR_UNSUPPORTED; }
};

/* A string argument as the C value: a std::string_view of (NULL, 0) stays empty. */
inline pp_string str(std::string_view s) noexcept { return pp_string{s.empty() ? nullptr : s.data(), s.size()}; }
/* A received string as a view; never dereferences (NULL, 0). */
inline std::string_view view(pp_string s) noexcept {
    return s.len > 0 && s.ptr != nullptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
template <class L, class T>
L list(span<const T> s) noexcept {
    L l;
    l.ptr = s.empty() ? nullptr : s.data();
    l.len = s.size();
    return l;
}
template <class T, class L>
span<const T> list_view(const L &l) noexcept {
    return l.len > 0 && l.ptr != nullptr ? span<const T>(l.ptr, l.len) : span<const T>();
}

/* A fixed-length list argument (list<T, N>, docs/abi.md section 3) as its C struct
 * `{ T elems[N]; }`: the elements are C values, copied (views stay views). */
template <class F, class T, std::size_t N>
F fixed(const std::array<T, N> &a) noexcept {
    static_assert(sizeof(F::elems) == sizeof(T) * N, "list<T, N> has N elements of T");
    F f;
    std::memcpy(static_cast<void *>(f.elems), static_cast<const void *>(a.data()), sizeof f.elems);
    return f;
}
/* A received fixed-length list's elements as a std::array of their C values (a copy). */
template <class T, std::size_t N>
std::array<T, N> array_of(const T (&elems)[N]) noexcept {
    std::array<T, N> a;
    std::memcpy(static_cast<void *>(a.data()), static_cast<const void *>(elems), sizeof elems);
    return a;
}

/* Sets *err to an owned copy of `text` (std::malloc; left empty if that fails). */
inline void set_error(pp_string *err, std::string_view text) noexcept {
    if (err == nullptr || text.empty()) {
        return;
    }
    if (text.size() > PP_MAX_ERROR_MESSAGE) {
        text = text.substr(0, PP_MAX_ERROR_MESSAGE);
        while (!text.empty() && !pp_utf8_valid(text.data(), text.size())) {
            text.remove_suffix(1); /* do not cut a UTF-8 sequence */
        }
    }
    void *p = std::malloc(text.size());
    if (p != nullptr) {
        std::memcpy(p, text.data(), text.size());
        err->ptr = static_cast<const char *>(p);
        err->len = text.size();
    }
}

/* Sets *err to an owned "<a><b><c>" (std::malloc; left empty if that fails). A `c` that
 * is not valid UTF-8 (what() of some exception) is replaced. */
inline void set_panic(pp_string *err, const char *a, const char *b, const char *c) noexcept {
    std::string_view parts[3] = {std::string_view(a), std::string_view(b),
                                 c != nullptr ? std::string_view(c) : std::string_view()};
    if (!pp_utf8_valid(parts[2].data(), parts[2].size())) {
        parts[2] = "(message not valid UTF-8)";
    }
    if (parts[2].size() > PP_MAX_ERROR_MESSAGE / 2) {
        parts[2] = parts[2].substr(0, PP_MAX_ERROR_MESSAGE / 2);
        while (!parts[2].empty() && !pp_utf8_valid(parts[2].data(), parts[2].size())) {
            parts[2].remove_suffix(1);
        }
    }
    std::size_t n = parts[0].size() + parts[1].size() + parts[2].size();
    char *buf = n > 0 ? static_cast<char *>(std::malloc(n)) : nullptr;
    if (buf == nullptr) {
        return;
    }
    std::size_t at = 0;
    for (std::string_view p : parts) {
        if (!p.empty()) {
            std::memcpy(buf + at, p.data(), p.size());
            at += p.size();
        }
    }
    err->ptr = buf;
    err->len = n;
}

/* Runs a callee body: any exception becomes PP_ERR_PANIC (rule 4: nothing unwinds across
 * the boundary), with what() as the message for a std::exception, and "<fn>: an exception
 * not derived from std::exception" for anything else. */
template <class F>
pp_status guard(const char *fn, pp_string *err, F &&body) noexcept {
#ifdef PP_CPP_EXCEPTIONS
    try {
        return body();
    } catch (const std::exception &e) {
        set_panic(err, "", "", e.what()); /* what() alone, as a Rust panic's message */
        return PP_ERR_PANIC;
    } catch (...) {
        set_panic(err, fn, ": ", "an exception not derived from std::exception");
        return PP_ERR_PANIC;
    }
#else
    (void)fn;
    (void)err;
    return body();
#endif
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_result : std::false_type {};
template <class T, class E>
struct is_result<result<T, E>> : std::true_type {};
template <class T>
struct is_owned_list : std::false_type {};
template <class T>
struct is_owned_list<owned_list<T>> : std::true_type {};
template <class T>
struct is_owned : std::false_type {};
template <class T>
struct is_owned<owned<T>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_unique_ptr : std::false_type {};
template <class T>
struct is_unique_ptr<std::unique_ptr<T>> : std::true_type {};

/* Turns a received C value (a checked result: docs/abi.md section 11) into its C++ type T,
 * taking ownership of what it holds. */
template <class T, class C>
T lift(C &c, pp_dealloc_fn dealloc) noexcept {
    if constexpr (std::is_same_v<T, owned_string>) {
        return owned_string(c, dealloc);
    } else if constexpr (is_owned_list<T>::value) {
        return T(c.ptr, c.len, dealloc);
    } else if constexpr (is_owned<T>::value) {
        return T(c, dealloc);
    } else if constexpr (is_std_array<T>::value) {
        /* list<T, N> of elements that own nothing (docs/abi.md section 3). */
        (void)dealloc;
        return array_of(c.elems);
    } else if constexpr (is_optional<T>::value) {
        if (c.is_some == 1) {
            return T(lift<typename T::value_type>(c.val, dealloc));
        }
        return T();
    } else if constexpr (is_result<T>::value) {
        using V = typename T::value_type;
        using E = typename T::error_type;
        if (c.is_err == 0) {
            if constexpr (std::is_void_v<V>) {
                return T();
            } else {
                return T(lift<V>(c.val.ok, dealloc));
            }
        }
        if constexpr (std::is_same_v<E, unit>) {
            return T(unexpected<E>(unit{}));
        } else {
            return T(unexpected<E>(lift<E>(c.val.err, dealloc)));
        }
    } else if constexpr (std::is_base_of_v<client_resource, T>) {
        return T(c);
    } else if constexpr (std::is_same_v<T, bool>) {
        return c != 0;
    } else if constexpr (std::is_enum_v<T> || std::is_same_v<T, char32_t>) {
        return static_cast<T>(c);
    } else {
        (void)dealloc;
        return c;
    }
}

/* Writes a callee's C++ result v into the C value *out (docs/abi.md section 5), passing
 * ownership. Returns false when an allocation of the C++ layer failed (out of memory). */
template <class T, class C>
bool lower(T &&v, C *out) noexcept {
    using U = std::decay_t<T>;
    if constexpr (std::is_same_v<U, owned_string>) {
        if (v.failed()) {
            return false;
        }
        *out = v.release();
        return true;
    } else if constexpr (is_owned_list<U>::value) {
        if (v.failed()) {
            return false;
        }
        auto p = v.release();
        out->ptr = p.first;
        out->len = p.second;
        return true;
    } else if constexpr (is_owned<U>::value) {
        *out = v.release();
        return true;
    } else if constexpr (is_std_array<U>::value) {
        *out = fixed<C>(v);
        return true;
    } else if constexpr (is_optional<U>::value) {
        if (v.has_value()) {
            out->is_some = 1;
            return lower(std::move(*v), &out->val);
        }
        out->is_some = 0;
        return true;
    } else if constexpr (is_result<U>::value) {
        using V = typename U::value_type;
        using E = typename U::error_type;
        if (v.has_value()) {
            out->is_err = 0;
            if constexpr (std::is_void_v<V>) {
                return true;
            } else {
                return lower(std::move(*v), &out->val.ok);
            }
        }
        out->is_err = 1;
        if constexpr (std::is_same_v<E, unit>) {
            return true;
        } else {
            return lower(std::move(v.error()), &out->val.err);
        }
    } else if constexpr (std::is_base_of_v<client_resource, U>) {
        *out = v.release();
        return true;
    } else if constexpr (is_unique_ptr<U>::value) {
        out->vtable = U::element_type::pp_vtable();
        out->self = static_cast<void *>(v.release());
        return true;
    } else if constexpr (std::is_same_v<U, bool>) {
        *out = v ? 1 : 0;
        return true;
    } else if constexpr (std::is_enum_v<U> || std::is_same_v<U, char32_t>) {
        *out = static_cast<C>(v);
        return true;
    } else {
        *out = v;
        return true;
    }
}

} // namespace detail

/* Base of every generated server (implementation) class of a resource: counts the live
 * objects of the image for the optional live-objects function. */
class resource_server {
  public:
    resource_server() noexcept;
    resource_server(const resource_server &) = delete;
    resource_server &operator=(const resource_server &) = delete;
    virtual ~resource_server();
    /* How many resource objects implemented by C++ code in this image are alive. */
    static std::size_t live_objects() noexcept;
};

} // namespace v1
} // namespace pp

#include <atomic>
namespace pp {
inline namespace v1 {
namespace detail {
inline std::atomic<std::size_t> &live_counter() noexcept {
    static std::atomic<std::size_t> n{0};
    return n;
}
} // namespace detail
inline resource_server::resource_server() noexcept { detail::live_counter().fetch_add(1); }
inline resource_server::~resource_server() { detail::live_counter().fetch_sub(1); }
inline std::size_t resource_server::live_objects() noexcept { return detail::live_counter().load(); }
} // namespace v1
} // namespace pp

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* PLUGPORT_CPP_HPP */

/* ---- Hosts: pp::plugin, when the runtime's C API (plugport.h) was included first ---- */
#if defined(PLUGPORT_RUNTIME_H) && !defined(PLUGPORT_CPP_RUNTIME_HPP)
#define PLUGPORT_CPP_RUNTIME_HPP
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace pp {
inline namespace v1 {

/* Why a plugin could not be loaded or reloaded: a PLUGPORT_E_* code and the loader's
 * message (docs/errors.md). */
struct load_error {
    int32_t code;
    std::string message;
};

/* An open plugin (plugport_open ... plugport_close), RAII and move-only. The generated
 * `<world>::load` makes one; its exports are read through the generated client classes. */
class plugin {
  public:
    plugin() noexcept = default;
    explicit plugin(plugport_plugin *p) noexcept : p_(p) {}
    plugin(plugin &&o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    plugin &operator=(plugin &&o) noexcept {
        if (this != &o) {
            close();
            p_ = o.p_;
            o.p_ = nullptr;
        }
        return *this;
    }
    plugin(const plugin &) = delete;
    plugin &operator=(const plugin &) = delete;
    /* Closes the plugin: release every result and resource from it first. */
    ~plugin() { close(); }
    void close() noexcept {
        if (p_ != nullptr) {
            plugport_close(p_);
            p_ = nullptr;
        }
    }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    plugport_plugin *c_plugin() const noexcept { return p_; }
    std::string_view name() const noexcept { return cstr(plugport_plugin_name(p_)); }
    std::string_view version() const noexcept { return cstr(plugport_plugin_version(p_)); }
    std::string_view fingerprint() const noexcept { return cstr(plugport_fingerprint(p_)); }
    const void *exports() const noexcept { return plugport_exports(p_); }
    /* Loads the file now at the plugin's path (docs/abi.md section 10); on failure the old
     * image keeps serving. */
    result<void, load_error> reload() {
        int32_t code = plugport_reload(p_);
        if (code != PLUGPORT_OK) {
            return unexpected<load_error>(last_error(code));
        }
        return result<void, load_error>();
    }
    /* Declares that nothing from replaced images is held any more. */
    void release_previous() noexcept { plugport_release_previous(p_); }
    /* Live resource objects, or -1 when unknown. */
    int64_t live_objects() const noexcept { return plugport_live_objects(p_); }
    /* Whether the current image runs in a child process (docs/isolation.md). */
    bool isolated() const noexcept { return plugport_is_isolated(p_) != 0; }
    static load_error last_error(int32_t code) {
        const char *m = plugport_last_error();
        return load_error{code, m != nullptr ? std::string(m) : std::string()};
    }

  private:
    static std::string_view cstr(const char *s) noexcept { return s != nullptr ? std::string_view(s) : std::string_view(); }
    plugport_plugin *p_ = nullptr;
};

} // namespace v1
} // namespace pp
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#endif /* PLUGPORT_CPP_RUNTIME_HPP */
