/* A C host that checks plugport_live_objects on a codec plugin (docs/abi.md section 10),
 * for tests/lifecycle/tests/live_objects.rs. It prints the count after each step on
 * stdout, one `<step> live=<n>` line each:
 *
 *   open      0 decoders
 *   three     3 decoders created
 *   dropped   one of them dropped: 2
 *   reloaded  the plugin reloaded (same file, a new image): still 2, in the old image
 *   new       one decoder created by the new image: 3
 *   released  plugport_release_previous (mode `leak`: the 2 old decoders are abandoned,
 *             so with PLUGPORT_DEBUG set it reports them) or, in mode `clean`, after
 *             dropping them first: 1
 *   closing   before plugport_close; in mode `leak` the new image's decoder is left for
 *             plugport_close to report, in mode `clean` it is dropped first: 1 or 0
 *   null      plugport_live_objects(NULL): -1
 *
 *   usage: live-objects-host-c <codec plugin.so> leak|clean
 */
#include <stdio.h>
#include <string.h>

#include "plugport.h"
#include "codec.h"

typedef example_codec_v1_framing_decoder decoder;

static int make(const plugport_plugin *p, decoder *d) {
    const example_codec_v1_framing_table *fr = example_codec_v1_codec_exports_of(p)->framing;
    pp_string err = {NULL, 0};
    if (fr->decoder_new(1024, d, &err) != PP_OK) {
        fprintf(stderr, "live objects host: decoder constructor failed\n");
        pp_string_release(&err, fr->header.dealloc);
        return 0;
    }
    return 1;
}

static void report(const char *step, const plugport_plugin *p) {
    printf("%s live=%lld\n", step, (long long)plugport_live_objects(p));
}

int main(int argc, char **argv) {
    example_codec_v1_codec_imports imports;
    plugport_plugin *p = NULL;
    decoder d[3], e;
    int clean, i;

    if (argc != 3 || (strcmp(argv[2], "leak") != 0 && strcmp(argv[2], "clean") != 0)) {
        fprintf(stderr, "usage: %s <codec plugin.so> leak|clean\n", argv[0]);
        return 2;
    }
    clean = strcmp(argv[2], "clean") == 0;
    imports.header.size = sizeof imports;
    imports.header.version = 0x00010000u;
    imports.header.dealloc = NULL;
    if (example_codec_v1_codec_open(argv[1], &imports, &p) != 0) {
        fprintf(stderr, "cannot load plugin: %s\n", plugport_last_error());
        return 1;
    }
    report("open", p);
    for (i = 0; i < 3; i++) {
        if (!make(p, &d[i])) {
            return 1;
        }
    }
    report("three", p);
    d[0].vtable->drop(d[0].self);
    report("dropped", p);
    if (plugport_reload(p) != 0) {
        fprintf(stderr, "reload failed: %s\n", plugport_last_error());
        return 1;
    }
    report("reloaded", p);
    if (!make(p, &e)) {
        return 1;
    }
    report("new", p);
    if (clean) {
        d[1].vtable->drop(d[1].self);
        d[2].vtable->drop(d[2].self);
    }
    plugport_release_previous(p); /* in mode `leak`, d[1] and d[2] are abandoned here */
    report("released", p);
    if (clean) {
        e.vtable->drop(e.self);
    }
    report("closing", p);
    report("null", NULL);
    fflush(stdout);
    plugport_close(p); /* in mode `leak`, `e` is abandoned here */
    return 0;
}
