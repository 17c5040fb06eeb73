/* Length-prefixed framing for example:codec@1.0.0, in plain C (same wire format as the
 * Rust plugin): stream id (u32 BE), payload length (u32 BE), payload.
 *
 * The decoder resource is a heap object behind the handle {self, vtable}; the host drops
 * it through vtable->drop. A mutex makes each decoder safe to use from several threads.
 * The plugin counts its live decoders for plugport_live_objects (docs/abi.md section 10).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A plugin never calls what it exports: PP_PLUGIN_SIDE leaves the checked callers of the
 * exports out of this translation unit (docs/abi.md section 11). */
#define PP_PLUGIN_SIDE
#include "codec.h"

typedef example_codec_v1_framing_frame frame_t;

typedef struct decoder {
    pthread_mutex_t lock;
    uint32_t max_frame;
    uint8_t *pending; /* bytes not yet forming a frame */
    size_t pending_len, pending_cap;
    frame_t *frames;  /* decoded frames not yet pulled: a ring */
    size_t head, count, cap;
} decoder;

/* Decoders created and not yet dropped (C99 has no atomics: a mutex guards it). */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t live_decoders;

static void count_decoder(int delta) {
    pthread_mutex_lock(&live_lock);
    if (delta > 0) {
        live_decoders++;
    } else {
        live_decoders--;
    }
    pthread_mutex_unlock(&live_lock);
}

static size_t live_objects(void) {
    size_t n;
    pthread_mutex_lock(&live_lock);
    n = live_decoders;
    pthread_mutex_unlock(&live_lock);
    return n;
}

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

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int reserve(void **buf, size_t *cap, size_t need, size_t elem) {
    size_t n = *cap ? *cap : 16;
    void *p;
    if (need <= *cap) {
        return 1;
    }
    while (n < need) {
        n *= 2;
    }
    p = realloc(*buf, n * elem);
    if (p == NULL) {
        return 0;
    }
    *buf = p;
    *cap = n;
    return 1;
}

static int enqueue(decoder *d, frame_t f) {
    if (d->count == d->cap) { /* grow the ring, unrolling it */
        size_t ncap = d->cap ? d->cap * 2 : 16, i;
        frame_t *nf = (frame_t *)malloc(ncap * sizeof(frame_t));
        if (nf == NULL) {
            return 0;
        }
        for (i = 0; i < d->count; i++) {
            nf[i] = d->frames[(d->head + i) % d->cap];
        }
        free(d->frames);
        d->frames = nf;
        d->head = 0;
        d->cap = ncap;
    }
    d->frames[(d->head + d->count) % d->cap] = f;
    d->count++;
    return 1;
}

static void decoder_drop(void *self) {
    decoder *d = (decoder *)self;
    size_t i;
    if (d == NULL) {
        return;
    }
    for (i = 0; i < d->count; i++) {
        free((void *)d->frames[(d->head + i) % d->cap].payload.ptr);
    }
    free(d->frames);
    free(d->pending);
    pthread_mutex_destroy(&d->lock);
    free(d);
    count_decoder(-1);
}

static pp_status decoder_push(void *self, example_codec_v1_list_u8 data,
                              example_codec_v1_result_u32_framing_codec_error *ret, pp_string *err) {
    decoder *d = (decoder *)self;
    size_t pos = 0;
    pp_status st = PP_OK;
    pthread_mutex_lock(&d->lock);
    if (!reserve((void **)&d->pending, &d->pending_cap, d->pending_len + data.len, 1)) {
        pthread_mutex_unlock(&d->lock);
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    if (data.len > 0) {
        memcpy(d->pending + d->pending_len, data.ptr, data.len);
    }
    d->pending_len += data.len;
    ret->is_err = 0;
    while (d->pending_len - pos >= 8) {
        uint32_t stream = be32(d->pending + pos), len = be32(d->pending + pos + 4);
        frame_t f;
        if (len > d->max_frame) {
            d->pending_len = 0;
            pos = 0;
            ret->is_err = 1;
            ret->val.err.tag = EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_FRAME_TOO_LARGE;
            ret->val.err.val.frame_too_large = len;
            break;
        }
        if (d->pending_len - pos - 8 < len) {
            break;
        }
        f.stream = stream;
        f.payload.len = len;
        f.payload.ptr = NULL;
        if (len > 0) {
            uint8_t *copy = (uint8_t *)malloc(len);
            if (copy == NULL) {
                st = fail(PP_ERR_PANIC, "out of memory", err);
                break;
            }
            memcpy(copy, d->pending + pos + 8, len);
            f.payload.ptr = copy;
        }
        if (!enqueue(d, f)) {
            free((void *)f.payload.ptr);
            st = fail(PP_ERR_PANIC, "out of memory", err);
            break;
        }
        pos += 8 + (size_t)len;
    }
    if (pos > 0) {
        memmove(d->pending, d->pending + pos, d->pending_len - pos);
        d->pending_len -= pos;
    }
    if (!ret->is_err) {
        ret->val.ok = (uint32_t)d->count;
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

static pp_status decoder_pull(void *self, example_codec_v1_option_framing_frame *ret, pp_string *err) {
    decoder *d = (decoder *)self;
    (void)err;
    pthread_mutex_lock(&d->lock);
    ret->is_some = 0;
    if (d->count > 0) {
        /* Ownership of the payload moves to the caller, who releases it via dealloc. */
        ret->is_some = 1;
        ret->val = d->frames[d->head];
        d->head = (d->head + 1) % d->cap;
        d->count--;
    }
    pthread_mutex_unlock(&d->lock);
    return PP_OK;
}

static pp_status decoder_finish(void *self, example_codec_v1_result_void_framing_codec_error *ret,
                                pp_string *err) {
    decoder *d = (decoder *)self;
    (void)err;
    pthread_mutex_lock(&d->lock);
    ret->is_err = d->pending_len > 0;
    if (ret->is_err) {
        ret->val.err.tag = EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_TRUNCATED;
        ret->val.err.val.truncated = (uint32_t)d->pending_len;
    }
    pthread_mutex_unlock(&d->lock);
    return PP_OK;
}

/* The slots are the header's validating trampolines around the functions above: they
 * refuse a NULL self and a `data` list with a NULL pointer and len > 0 (rule 5) with
 * PP_ERR_INVALID_ARGUMENT and a malloc'd message (released through plugin_dealloc), so
 * the functions themselves only see valid arguments. */
EXAMPLE_CODEC_V1_FRAMING_DECODER_PUSH_TRAMPOLINE(decoder_push_checked, decoder_push)
EXAMPLE_CODEC_V1_FRAMING_DECODER_PULL_TRAMPOLINE(decoder_pull_checked, decoder_pull)
EXAMPLE_CODEC_V1_FRAMING_DECODER_FINISH_TRAMPOLINE(decoder_finish_checked, decoder_finish)

static const example_codec_v1_framing_decoder_vtable DECODER_VTABLE = {
    {sizeof(example_codec_v1_framing_decoder_vtable), 0x00010000u, plugin_dealloc},
    decoder_drop,
    decoder_push_checked,
    decoder_pull_checked,
    decoder_finish_checked,
};

static pp_status decoder_new(uint32_t max_frame, example_codec_v1_framing_decoder *ret, pp_string *err) {
    decoder *d = (decoder *)calloc(1, sizeof(decoder));
    if (d == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    pthread_mutex_init(&d->lock, NULL);
    d->max_frame = max_frame;
    count_decoder(+1);
    ret->self = d;
    ret->vtable = &DECODER_VTABLE;
    return PP_OK;
}

static pp_status encode(example_codec_v1_framing_frame frame,
                        example_codec_v1_result_list_u8_framing_codec_error *ret, pp_string *err) {
    uint8_t *out;
    size_t n;
    if (frame.payload.len > 0xFFFFFFFFu) {
        ret->is_err = 1;
        ret->val.err.tag = EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_FRAME_TOO_LARGE;
        ret->val.err.val.frame_too_large = (uint64_t)frame.payload.len;
        return PP_OK;
    }
    n = 8 + frame.payload.len;
    out = (uint8_t *)malloc(n);
    if (out == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    out[0] = (uint8_t)(frame.stream >> 24);
    out[1] = (uint8_t)(frame.stream >> 16);
    out[2] = (uint8_t)(frame.stream >> 8);
    out[3] = (uint8_t)frame.stream;
    out[4] = (uint8_t)(frame.payload.len >> 24);
    out[5] = (uint8_t)(frame.payload.len >> 16);
    out[6] = (uint8_t)(frame.payload.len >> 8);
    out[7] = (uint8_t)frame.payload.len;
    if (frame.payload.len > 0) {
        memcpy(out + 8, frame.payload.ptr, frame.payload.len);
    }
    ret->is_err = 0;
    ret->val.ok.ptr = out;
    ret->val.ok.len = n;
    return PP_OK;
}

/* frame.payload with a NULL pointer and len > 0 is refused by the trampoline. */
EXAMPLE_CODEC_V1_FRAMING_ENCODE_TRAMPOLINE(encode_checked, encode)

static const example_codec_v1_framing_table FRAMING = {
    {sizeof(example_codec_v1_framing_table), 0x00010000u, plugin_dealloc},
    decoder_new,
    encode_checked,
};

static const example_codec_v1_codec_exports EXPORTS = {
    {sizeof(example_codec_v1_codec_exports), 0x00010000u, plugin_dealloc},
    &FRAMING,
};

static pp_status init(const example_codec_v1_codec_imports *imports,
                      const example_codec_v1_codec_exports **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

EXAMPLE_CODEC_V1_CODEC_EXPORT("codec-c", "1.0.0", init)
EXAMPLE_CODEC_V1_CODEC_LIVE_OBJECTS(live_objects)
