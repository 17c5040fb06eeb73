#!/usr/bin/env bash
# Installs plugport for C and C++ projects (and Go hosts through pkg-config):
#
#   scripts/install.sh --prefix <dir> [--profile release|dev] [--no-build]
#
# Builds the CLI and the runtime library with cargo (release by default) and installs:
#
#   <prefix>/bin/plugport                       the CLI
#   <prefix>/bin/plugport-runner                the process-isolation runner (docs/isolation.md;
#                                               the runtime finds it in ../bin from libplugport)
#   <prefix>/lib/libplugport.so.X.Y.Z           the runtime (C API), SONAME libplugport.so.X
#   <prefix>/lib/libplugport.so.X -> .so.X.Y.Z  and libplugport.so -> libplugport.so.X
#   <prefix>/lib/libplugport.a                  the static runtime (link -lffi -lpthread -ldl -lm)
#   <prefix>/include/plugport.h                 the runtime's C API
#   <prefix>/lib/pkgconfig/plugport.pc          `pkg-config --cflags --libs plugport`
#   <prefix>/lib/cmake/plugport/                `find_package(plugport CONFIG REQUIRED)`:
#       plugport::runtime, plugport::runtime_static, plugport::cpp, plugport::plugport
#       and plugport_generate(); see cmake/plugportConfig.cmake
#
# --profile dev installs the debug build; --no-build installs what target/<profile>
# already holds (for packagers who ran cargo themselves, and for the tests). Linux (ELF)
# only for now. Installing over an earlier install replaces its files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
prefix="" profile=release build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --profile) [ $# -ge 2 ] || { echo "install.sh: --profile needs release or dev" >&2; exit 2; }
               profile=$2; shift 2 ;;
    --profile=*) profile=${1#--profile=}; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || { echo "install.sh: --prefix <dir> is required (see --help)" >&2; exit 2; }
case "$profile" in
  release) tdir=${CARGO_TARGET_DIR:-$root/target}/release ;;
  dev) tdir=${CARGO_TARGET_DIR:-$root/target}/debug ;;
  *) echo "install.sh: --profile $profile: expected release or dev" >&2; exit 2 ;;
esac
[ "$(uname -s)" = Linux ] || echo "install.sh: warning: only Linux (ELF) installs are tested" >&2
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")
[ -n "$version" ] || { echo "install.sh: cannot read the version from Cargo.toml" >&2; exit 1; }
major=${version%%.*}
soname=libplugport.so.$major

if [ "$build" = 1 ]; then
  echo "== cargo build --profile $profile -p plugport-capi -p plugport-codegen, plugport-runner"
  (cd "$root" && cargo build --quiet --profile "$profile" -p plugport-capi -p plugport-codegen)
  (cd "$root" && cargo build --quiet --profile "$profile" -p plugport --bin plugport-runner)
fi
for f in plugport plugport-runner libplugport.so libplugport.a; do
  [ -f "$tdir/$f" ] || { echo "install.sh: $tdir/$f is missing: build it (drop --no-build)" >&2; exit 1; }
done
if command -v readelf >/dev/null 2>&1; then
  found=$(readelf -d "$tdir/libplugport.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
  [ "$found" = "$soname" ] || {
    echo "install.sh: $tdir/libplugport.so has SONAME '${found:-none}': expected $soname (bridge/capi/build.rs)" >&2
    exit 1
  }
fi

echo "== installing plugport $version into $prefix"
install -d "$prefix/bin" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/plugport" "$prefix/include"
install -m 0755 "$tdir/plugport" "$prefix/bin/plugport"
install -m 0755 "$tdir/plugport-runner" "$prefix/bin/plugport-runner"
install -m 0755 "$tdir/libplugport.so" "$prefix/lib/libplugport.so.$version"
ln -sfn "libplugport.so.$version" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libplugport.so"
install -m 0644 "$tdir/libplugport.a" "$prefix/lib/libplugport.a"
install -m 0644 "$root/headers/plugport.h" "$prefix/include/plugport.h"

sed -e "/^#/d" -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$prefix/lib|g" \
    -e "s|@INCLUDEDIR@|$prefix/include|g" -e "s|@VERSION@|$version|g" \
    "$root/bridge/capi/plugport.pc.in" >"$prefix/lib/pkgconfig/plugport.pc"

cm=$prefix/lib/cmake/plugport
sizeof_void_p=$(getconf LONG_BIT 2>/dev/null || echo 64)
sizeof_void_p=$((sizeof_void_p / 8))
install -m 0644 "$root/cmake/plugportConfig.cmake" "$root/cmake/plugportGenerate.cmake" "$cm/"
sed -e "s|@VERSION@|$version|g" -e "s|@SONAME@|$soname|g" \
    "$root/cmake/plugportTargets.cmake" >"$cm/plugportTargets.cmake"
sed -e "s|@VERSION@|$version|g" -e "s|@SIZEOF_VOID_P@|$sizeof_void_p|g" \
    "$root/cmake/plugportConfigVersion.cmake" >"$cm/plugportConfigVersion.cmake"

echo "installed:"
(cd "$prefix" && ls -d bin/plugport lib/libplugport* include/plugport.h lib/pkgconfig/plugport.pc \
  lib/cmake/plugport/*) | sed 's/^/  /'
cat <<MSG
use it:
  pkg-config:  PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs plugport
  CMake:       cmake -DCMAKE_PREFIX_PATH=$prefix ...   then find_package(plugport CONFIG REQUIRED)
MSG
