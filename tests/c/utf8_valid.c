/* pp_utf8_valid of the generated header core (docs/abi.md §11): each UTF-8 sequence, valid
 * or not, at every offset 0..23 of an ASCII run of every length up to 32, so the 8-byte
 * ASCII fast path and the byte-wise path both meet it at every alignment and at the
 * ends. Prints "ok" or the first wrong answer. Build: cc -I<dir of typecov.h> utf8_valid.c */
#include <stdio.h>
#include <string.h>

#include "typecov.h"

struct seq {
    const char *bytes;
    size_t len;
    int valid;
};

static const struct seq SEQS[] = {
    {"a", 1, 1},
    {"\xC3\xA9", 2, 1},               /* é */
    {"\xE4\xBD\xA0", 3, 1},           /* 你 */
    {"\xF0\x9F\x98\x80", 4, 1},       /* U+1F600 */
    {"\xF4\x8F\xBF\xBF", 4, 1},       /* U+10FFFF, the largest */
    {"\x80", 1, 0},                   /* a lone continuation byte */
    {"\xFF", 1, 0},
    {"\xC0\xAF", 2, 0},               /* overlong '/' */
    {"\xE0\x80\xAF", 3, 0},           /* overlong */
    {"\xED\xA0\x80", 3, 0},           /* surrogate U+D800 */
    {"\xF4\x90\x80\x80", 4, 0},       /* above U+10FFFF */
    {"\xC3", 1, 0},                   /* truncated when at the end, bad before ASCII */
    {"\xE4\xBD", 2, 0},
};

int main(void) {
    char buf[64];
    size_t s, total, at;
    if (!pp_utf8_valid(NULL, 0) || pp_utf8_valid(NULL, 1)) {
        printf("NULL handling\n");
        return 1;
    }
    for (s = 0; s < sizeof SEQS / sizeof SEQS[0]; s++) {
        for (total = SEQS[s].len; total <= 32; total++) {
            for (at = 0; at + SEQS[s].len <= total && at < 24; at++) {
                int got;
                memset(buf, 'a', sizeof buf);
                memcpy(buf + at, SEQS[s].bytes, SEQS[s].len);
                got = pp_utf8_valid(buf, total);
                if (got != SEQS[s].valid) {
                    printf("sequence %u at %u of %u: got %d, want %d\n", (unsigned)s,
                           (unsigned)at, (unsigned)total, got, SEQS[s].valid);
                    return 1;
                }
            }
        }
    }
    printf("ok\n");
    return 0;
}
