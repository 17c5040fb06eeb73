#!/usr/bin/env bash
# Installs what codegen/tests/c_header.rs needs: gcc and g++ (build-essential), clang and
# clang++ (clang), nm and objcopy (binutils). Debian/Ubuntu; run as root or with sudo.
set -euo pipefail
need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v clang++ >/dev/null 2>&1 || need+=(clang)
command -v objcopy >/dev/null 2>&1 || need+=(binutils)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
