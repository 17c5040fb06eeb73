/* A greeter host in C: loads the plugin named on the command line through the plugport
 * runtime (headers/plugport.h), passes a host-implemented logger, and greets each name.
 *
 *   usage: greeter-host-c <plugin.so> <name>...
 *          greeter-host-c --watch <plugin.so> <name>
 *
 * --watch greets, then polls the plugin file every GREETER_WATCH_MS milliseconds
 * (default 200) and, when it changed (modification time, size or inode: replacing it
 * with `mv` counts) and then stayed the same for one more period (a debounce, so a file
 * still being copied is not loaded half-way), reloads it in place with plugport_reload
 * and greets again. A file the loader refuses leaves the old plugin serving. Runs until
 * killed.
 *
 * The same source builds a 1.0 host (header from examples/greeter/wit) and a 1.1 host
 * (header from examples/greeter/wit-1.1, -DGREETER_1_1), which also says farewell when
 * the plugin's greet table is large enough to have the slot (docs/abi.md section 5,
 * "Evolution"): a 1.0 plugin's table is not, so the host reports it as unsupported.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "plugport.h"
#include "greeter.h"

#ifdef GREETER_1_1
#define TABLE_VERSION 0x00010001u
#else
#define TABLE_VERSION 0x00010000u
#endif

static void host_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* The logger import. Its arguments come from the plugin: the generated validating
 * trampoline below checks them (rule 5: the level is a valid enum value, the message is
 * UTF-8 with no NULL pointer) before this runs, and refuses bad ones with
 * PP_ERR_INVALID_ARGUMENT and a message the plugin releases with host_dealloc. */
static pp_status host_log(example_greeter_v1_logger_level level, pp_string message, pp_string *err) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    (void)err;
    printf("  [c host log %s] %.*s\n", names[level], (int)message.len, message.len > 0 ? message.ptr : "");
    return PP_OK;
}

EXAMPLE_GREETER_V1_LOGGER_LOG_TRAMPOLINE(host_log_checked, host_log)

static const example_greeter_v1_logger_table LOGGER = {
    {sizeof(example_greeter_v1_logger_table), TABLE_VERSION, host_dealloc},
    host_log_checked,
};

static const example_greeter_v1_greeter_imports IMPORTS = {
    {sizeof(example_greeter_v1_greeter_imports), TABLE_VERSION, host_dealloc},
    &LOGGER,
};

/* The generated checked caller of a `func(name: string) -> string` slot. */
typedef pp_status (*say_fn)(const example_greeter_v1_greet_table *, pp_string, pp_string *, pp_error *);

static const char *text_of(pp_string s) {
    return s.len > 0 ? s.ptr : "";
}

/* Calls `fn` with `who` and prints "c host: <answer>". The checked caller makes sure the
 * slot exists (else PP_ERR_UNSUPPORTED), and that the answer is valid UTF-8 owned by the
 * plugin (else PP_ERR_INVALID_RESULT): nothing to check here but the status. */
static int say(say_fn fn, const example_greeter_v1_greet_table *greet, const char *what, const char *who) {
    pp_string name, answer;
    pp_error err;
    pp_status st;
    name.ptr = who;
    name.len = strlen(who);
    st = fn(greet, name, &answer, &err);
    if (st != PP_OK) {
        fprintf(stderr, "%s failed (%d): %.*s\n", what, (int)st, (int)err.message.len, text_of(err.message));
        pp_error_release(&err);
        return 1;
    }
    printf("c host: %.*s\n", (int)answer.len, text_of(answer));
    pp_string_release(&answer, greet->header.dealloc);
    return 0;
}

/* Greets every name with the plugin's current table (fetched anew: after a reload it is
 * the new image's). Returns 0 when every call succeeded. A plugin whose exports table
 * lacks `greet` (NULL, or a table too short) gives NULL here, and the checked callers
 * report PP_ERR_UNSUPPORTED for it rather than crash. */
static int greet_all(const plugport_plugin *plugin, char **names, int count) {
    const example_greeter_v1_greet_table *greet =
        example_greeter_v1_greeter_exports_get_greet(example_greeter_v1_greeter_exports_of(plugin));
    pp_string lang;
    pp_error err;
    pp_status st;
    int i, status = 0;

    st = example_greeter_v1_greet_call_language(greet, &lang, &err);
    if (st == PP_OK) {
        printf("c host: language %.*s\n", (int)lang.len, text_of(lang));
        pp_string_release(&lang, greet->header.dealloc);
    } else {
        fprintf(stderr, "language failed (%d): %.*s\n", (int)st, (int)err.message.len, text_of(err.message));
        pp_error_release(&err); /* not fatal: the greetings say whether the plugin works */
    }
    for (i = 0; i < count; i++) {
        status |= say(example_greeter_v1_greet_call_greet, greet, "greet", names[i]);
#ifdef GREETER_1_1
        /* A slot exists only if the implementer's table is large enough (section 5): the
         * has_ check asks, the checked caller would say PP_ERR_UNSUPPORTED. */
        if (example_greeter_v1_greet_has_farewell(greet)) {
            status |= say(example_greeter_v1_greet_call_farewell, greet, "farewell", names[i]);
        } else {
            printf("c host: farewell unsupported by this plugin (table size %u, PP_ERR_UNSUPPORTED)\n",
                   greet != NULL ? (unsigned)greet->header.size : 0u);
        }
#endif
    }
    return status;
}

/* What identifies a version of the file: replacing it (even by rename) changes one. */
struct file_id {
    struct timespec mtime;
    off_t size;
    ino_t ino;
};

static int file_id_of(const char *path, struct file_id *id) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    id->mtime = st.st_mtim;
    id->size = st.st_size;
    id->ino = st.st_ino;
    return 0;
}

static int same_file_id(const struct file_id *a, const struct file_id *b) {
    return a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->size == b->size && a->ino == b->ino;
}

/* --watch: greet, then reload and greet again whenever the file changes. Never returns.
 * `seen` identifies the file as it was before it was opened (so a change right after
 * opening is not missed; at worst an unchanged file is reloaded once). */
static void watch(plugport_plugin *plugin, struct file_id seen, const char *path, char *name) {
    struct file_id now, pending;
    int have_pending = 0;
    struct timespec interval;
    memset(&pending, 0, sizeof pending);
    const char *ms = getenv("GREETER_WATCH_MS");
    long period = ms != NULL ? atol(ms) : 200;
    if (period <= 0) {
        period = 200;
    }
    interval.tv_sec = period / 1000;
    interval.tv_nsec = (period % 1000) * 1000000L;
    printf("c host: watching %s (every %ld ms)\n", path, period);
    greet_all(plugin, &name, 1);
    for (;;) {
        nanosleep(&interval, NULL);
        if (file_id_of(path, &now) != 0 || same_file_id(&now, &seen)) {
            have_pending = 0;
            continue; /* missing for a moment (being replaced), or unchanged */
        }
        /* Debounce: reload once the changed file has stayed the same for a whole period,
         * so that a file still being written (cp in progress) is not loaded half-way. */
        if (!have_pending || !same_file_id(&now, &pending)) {
            pending = now;
            have_pending = 1;
            continue;
        }
        have_pending = 0;
        seen = now;
        if (plugport_reload(plugin) != PLUGPORT_OK) {
            printf("c host: reload failed, still serving %s %s: %s\n", plugport_plugin_name(plugin),
                   plugport_plugin_version(plugin), plugport_last_error());
            continue;
        }
        /* This host keeps nothing from the old image between greetings (it fetches the
         * table anew and releases every result), so the old image can go now. */
        plugport_release_previous(plugin);
        printf("c host: reloaded %s %s\n", plugport_plugin_name(plugin), plugport_plugin_version(plugin));
        greet_all(plugin, &name, 1);
    }
}

int main(int argc, char **argv) {
    plugport_plugin *plugin = NULL;
    struct file_id seen;
    int watching = argc >= 2 && strcmp(argv[1], "--watch") == 0;
    const char *path;
    int status;

    if (argc < 3 || (watching && argc != 4)) {
        fprintf(stderr, "usage: %s <plugin.so> <name>...\n       %s --watch <plugin.so> <name>\n",
                argv[0], argv[0]);
        return 2;
    }
    path = argv[watching ? 2 : 1];
    if (watching) {
        setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also into a pipe */
    }
    memset(&seen, 0, sizeof seen); /* stays all zero when the file is missing */
    (void)file_id_of(path, &seen);
    if (example_greeter_v1_greeter_open(path, &IMPORTS, &plugin) != 0) {
        fprintf(stderr, "cannot load plugin: %s\n", plugport_last_error());
        return 1;
    }
    printf("c host: loaded %s %s\n", plugport_plugin_name(plugin), plugport_plugin_version(plugin));
    if (watching) {
        watch(plugin, seen, path, argv[3]); /* until killed */
    }
    status = greet_all(plugin, argv + 2, argc - 2);
    plugport_close(plugin);
    return status;
}
