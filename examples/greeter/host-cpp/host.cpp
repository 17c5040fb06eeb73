// A greeter host in C++17: loads the plugin named on the command line with the generated
// example::greeter::v1::greeter::load, implements the logger import by deriving from the
// generated logger::server, and greets each name.
//
//   usage: greeter-host-cpp <plugin.so> <name>...
//          greeter-host-cpp --watch <plugin.so> <name>
//
// --watch greets, then polls the plugin file every GREETER_WATCH_MS milliseconds (default
// 200) and, when it changed (modification time, size or inode), reloads it and greets
// again; a file the loader refuses leaves the old plugin serving. Runs until killed.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "plugport.h"
#include "greeter.hpp"

namespace gv1 = example::greeter::v1;

namespace {

// The logger import; its arguments were validated by the generated slot (a bad level or
// invalid UTF-8 is refused with PP_ERR_INVALID_ARGUMENT before this runs).
class host_logger final : public gv1::logger::server {
  public:
    void log(gv1::logger::level level, std::string_view message) override {
        static const char *const names[] = {"debug", "info", "warn", "error"};
        std::printf("  [cpp host log %s] ", names[static_cast<int>(level)]);
        std::fwrite(message.data(), 1, message.size(), stdout);
        std::printf("\n");
    }
};

// Prints "cpp host: <what><text>\n" (text is not NUL-terminated, and may be empty).
void say(const char *what, std::string_view text) {
    std::printf("cpp host: %s", what);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::printf("\n");
}

// Greets every name through the current image; 0 when every call succeeded.
int greet_all(const gv1::greeter &plugin, char **names, int count) {
    auto greet = plugin.greet();
    int status = 0;
    if (auto lang = greet.language()) {
        say("language ", *lang); // a zero-copy view of the plugin's string
    } else {
        std::fprintf(stderr, "language failed: %s\n", lang.error().to_string().c_str());
    }
    for (int i = 0; i < count; i++) {
        auto answer = greet.greet(names[i]);
        if (!answer) {
            std::fprintf(stderr, "greet failed: %s\n", answer.error().to_string().c_str());
            status = 1;
            continue;
        }
        say("", *answer);
    }
    return status;
}

struct file_id {
    struct timespec mtime {};
    off_t size = 0;
    ino_t ino = 0;
    bool operator==(const file_id &o) const {
        return mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec && size == o.size && ino == o.ino;
    }
};

bool file_id_of(const char *path, file_id &id) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return false;
    }
    id.mtime = st.st_mtim;
    id.size = st.st_size;
    id.ino = st.st_ino;
    return true;
}

[[noreturn]] void watch(gv1::greeter &plugin, file_id seen, const char *path, char *name) {
    const char *ms = std::getenv("GREETER_WATCH_MS");
    long period = ms != nullptr ? std::atol(ms) : 200;
    if (period <= 0) {
        period = 200;
    }
    std::printf("cpp host: watching %s (every %ld ms)\n", path, period);
    greet_all(plugin, &name, 1);
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(period));
        file_id now;
        if (!file_id_of(path, now) || now == seen) {
            continue;
        }
        seen = now;
        auto reloaded = plugin.reload();
        if (!reloaded) {
            std::printf("cpp host: reload failed, still serving %s %s: %s\n", std::string(plugin.plugin().name()).c_str(),
                        std::string(plugin.plugin().version()).c_str(), reloaded.error().message.c_str());
            continue;
        }
        // Nothing from the old image is kept between greetings.
        plugin.plugin().release_previous();
        std::printf("cpp host: reloaded %s %s\n", std::string(plugin.plugin().name()).c_str(),
                    std::string(plugin.plugin().version()).c_str());
        greet_all(plugin, &name, 1);
    }
}

} // namespace

int main(int argc, char **argv) {
    bool watching = argc >= 2 && std::strcmp(argv[1], "--watch") == 0;
    if (argc < 3 || (watching && argc != 4)) {
        std::fprintf(stderr, "usage: %s <plugin.so> <name>...\n       %s --watch <plugin.so> <name>\n", argv[0],
                     argv[0]);
        return 2;
    }
    const char *path = argv[watching ? 2 : 1];
    if (watching) {
        std::setvbuf(stdout, nullptr, _IOLBF, 0);
    }
    file_id seen;
    file_id_of(path, seen);
    static host_logger logger;
    gv1::greeter_imports imports;
    imports.logger = &logger;
    auto loaded = gv1::greeter::load(path, imports);
    if (!loaded) {
        std::fprintf(stderr, "cannot load plugin: %s\n", loaded.error().message.c_str());
        return 1;
    }
    gv1::greeter &plugin = *loaded;
    std::printf("cpp host: loaded %s %s\n", std::string(plugin.plugin().name()).c_str(),
                std::string(plugin.plugin().version()).c_str());
    if (watching) {
        watch(plugin, seen, path, argv[3]);
    }
    return greet_all(plugin, argv + 2, argc - 2);
}
