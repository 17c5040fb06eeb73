/* A codec host in C, as a data plane would use a framing plugin:
 *  1. encode pseudo-random frames through the plugin into a file of several megabytes;
 *  2. stream the file back through a `decoder` resource in odd-sized chunks, pulling
 *     frames as they complete, and verify every frame against the original sequence;
 *  3. check the two error cases: a frame over the decoder's limit, and truncated input.
 *
 *   usage: codec-host-c <plugin.so> [megabytes (default 4)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugport.h"
#include "codec.h"

#define CHUNK 65521 /* a prime, so chunk borders fall inside frames and headers */
#define MAX_FRAME 65536

typedef struct rng { uint64_t s; } rng;

static uint64_t next(rng *r) { /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

/* Frame i of the test sequence: stream id and payload are a function of the rng. */
static uint32_t make_frame(rng *r, uint8_t *buf, uint32_t *stream) {
    uint32_t len = (uint32_t)(next(r) % 9000), i;
    if (next(r) % 16 == 0) {
        len = 0; /* empty frames too */
    }
    *stream = (uint32_t)(next(r) % 7);
    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)next(r);
    }
    return len;
}

static int check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "codec host: FAILED: %s\n", what);
    }
    return ok;
}

/* 1 when a call returned PP_OK; otherwise reports the status and message, and releases
 * the message (pp_error_release knows its dealloc: docs/abi.md §6 and §11).
 *
 * Every call goes through the header's checked callers (example_codec_v1_*_call_*): they
 * report a missing slot as PP_ERR_UNSUPPORTED, and validate what the plugin returns
 * (discriminants and tags, handles, NULL pointers; rule 5) as PP_ERR_INVALID_RESULT, so
 * a result that arrives with PP_OK is well-formed. */
static int called(pp_status st, pp_error *err, const char *what) {
    if (st == PP_OK) {
        return 1;
    }
    fprintf(stderr, "codec host: FAILED: %s: status %d: %.*s\n", what, (int)st, (int)err->message.len,
            err->message.len > 0 ? err->message.ptr : "");
    pp_error_release(err);
    return 0;
}

int main(int argc, char **argv) {
    static uint8_t expect[9000];
    plugport_plugin *plugin = NULL;
    const example_codec_v1_framing_table *fr;
    example_codec_v1_codec_imports imports;
    example_codec_v1_framing_decoder dec;
    pp_dealloc_fn dealloc, dec_dealloc;
    pp_error err;
    size_t target = 4u << 20, written = 0, frames = 0, decoded = 0, n;
    uint8_t *chunk;
    FILE *f;
    rng r;
    int ok = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s <plugin.so> [megabytes]\n", argv[0]);
        return 2;
    }
    if (argc > 2) {
        target = (size_t)strtoul(argv[2], NULL, 10) << 20;
    }
    imports.header.size = sizeof imports;
    imports.header.version = 0x00010000u;
    imports.header.dealloc = NULL;
    if (example_codec_v1_codec_open(argv[1], &imports, &plugin) != 0) {
        fprintf(stderr, "cannot load plugin: %s\n", plugport_last_error());
        return 1;
    }
    /* NULL when the plugin's exports table lacks `framing`: the calls then fail with
     * PP_ERR_UNSUPPORTED instead of crashing. */
    fr = example_codec_v1_codec_exports_get_framing(example_codec_v1_codec_exports_of(plugin));
    dealloc = fr != NULL ? fr->header.dealloc : NULL;
    printf("c host: loaded %s %s\n", plugport_plugin_name(plugin), plugport_plugin_version(plugin));

    /* 1. Encode frames into a temporary file. */
    f = tmpfile();
    if (!check(f != NULL, "tmpfile")) {
        return 1;
    }
    r.s = 0x9E3779B97F4A7C15ull;
    while (written < target) {
        example_codec_v1_framing_frame frame;
        example_codec_v1_result_list_u8_framing_codec_error res;
        uint32_t stream;
        frame.payload.len = make_frame(&r, expect, &stream);
        frame.payload.ptr = expect;
        frame.stream = stream;
        if (!called(example_codec_v1_framing_call_encode(fr, frame, &res, &err), &err, "encode")) {
            return 1;
        }
        if (!check(!res.is_err, "encode")) {
            example_codec_v1_result_list_u8_framing_codec_error_release(&res, dealloc);
            return 1;
        }
        fwrite(res.val.ok.ptr, 1, res.val.ok.len, f);
        written += res.val.ok.len;
        frames++;
        example_codec_v1_result_list_u8_framing_codec_error_release(&res, dealloc);
    }
    rewind(f);

    /* 2. Stream it back through a decoder and verify every frame. */
    if (!called(example_codec_v1_framing_call_decoder_new(fr, MAX_FRAME, &dec, &err), &err,
                "decoder constructor")) {
        return 1;
    }
    /* Results of methods are released with the dealloc of the decoder's vtable. */
    dec_dealloc = dec.vtable->header.dealloc;
    chunk = (uint8_t *)malloc(CHUNK);
    r.s = 0x9E3779B97F4A7C15ull;
    while (ok && (n = fread(chunk, 1, CHUNK, f)) > 0) {
        example_codec_v1_list_u8 data;
        example_codec_v1_result_u32_framing_codec_error pushed;
        example_codec_v1_option_framing_frame got;
        data.ptr = chunk;
        data.len = n;
        ok = called(example_codec_v1_framing_decoder_call_push(dec, data, &pushed, &err), &err, "push");
        if (ok && pushed.is_err) {
            example_codec_v1_result_u32_framing_codec_error_release(&pushed, dec_dealloc);
            ok = check(0, "push");
        }
        while (ok && called(example_codec_v1_framing_decoder_call_pull(dec, &got, &err), &err, "pull") &&
               got.is_some) {
            uint32_t stream, len = make_frame(&r, expect, &stream);
            ok = check(got.val.stream == stream && got.val.payload.len == len &&
                           (len == 0 || memcmp(got.val.payload.ptr, expect, len) == 0),
                       "frame content");
            decoded++;
            example_codec_v1_option_framing_frame_release(&got, dec_dealloc);
        }
    }
    if (ok) {
        example_codec_v1_result_void_framing_codec_error fin;
        ok = called(example_codec_v1_framing_decoder_call_finish(dec, &fin, &err), &err, "finish");
        if (ok && fin.is_err) {
            example_codec_v1_result_void_framing_codec_error_release(&fin, dec_dealloc);
            ok = check(0, "finish");
        }
    }
    dec.vtable->drop(dec.self);
    free(chunk);
    fclose(f);
    ok = ok && check(decoded == frames, "frame count");
    printf("c host: streamed %lu bytes in %d-byte chunks: %lu of %lu frames verified\n",
           (unsigned long)written, CHUNK, (unsigned long)decoded, (unsigned long)frames);

    /* 3. The error cases are values of the WIT variant codec-error. */
    if (ok && called(example_codec_v1_framing_call_decoder_new(fr, 16, &dec, &err), &err,
                     "decoder constructor")) {
        static const uint8_t big[8] = {0, 0, 0, 1, 0, 0, 0x03, 0xE8}; /* 1000 bytes > 16 */
        example_codec_v1_list_u8 data;
        example_codec_v1_result_u32_framing_codec_error pushed;
        example_codec_v1_result_void_framing_codec_error fin;
        data.ptr = big;
        data.len = sizeof big;
        dec_dealloc = dec.vtable->header.dealloc;
        ok = called(example_codec_v1_framing_decoder_call_push(dec, data, &pushed, &err), &err, "push");
        if (ok) { /* an owned result: released whatever it holds */
            ok = check(pushed.is_err &&
                           pushed.val.err.tag == EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_FRAME_TOO_LARGE &&
                           pushed.val.err.val.frame_too_large == 1000,
                       "frame-too-large error");
            example_codec_v1_result_u32_framing_codec_error_release(&pushed, dec_dealloc);
        }
        data.len = 5; /* a partial header */
        if (ok && called(example_codec_v1_framing_decoder_call_push(dec, data, &pushed, &err), &err,
                         "partial push")) {
            ok = check(!pushed.is_err, "partial push");
            example_codec_v1_result_u32_framing_codec_error_release(&pushed, dec_dealloc);
        } else {
            ok = 0;
        }
        if (ok && called(example_codec_v1_framing_decoder_call_finish(dec, &fin, &err), &err, "finish")) {
            ok = check(fin.is_err && fin.val.err.tag == EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_TRUNCATED &&
                           fin.val.err.val.truncated == 5,
                       "truncated error");
            example_codec_v1_result_void_framing_codec_error_release(&fin, dec_dealloc);
        } else {
            ok = 0;
        }
        dec.vtable->drop(dec.self);
        if (ok) {
            printf("c host: errors reported as codec-error values: frame-too-large(1000), truncated(5)\n");
        }
    } else {
        ok = 0;
    }
    plugport_close(plugin);
    printf("c host: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
