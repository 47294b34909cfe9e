# Shared by scripts/run and scripts/test: system packages, toolchain pieces and the
# RocksDB build cache. Source it from the repository root.

set -euo pipefail

# Debian/Ubuntu packages the build needs (clang + libclang-dev: bindgen in librocksdb-sys).
SYSTEM_PACKAGES=(build-essential pkg-config clang libclang-dev)

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whatever of SYSTEM_PACKAGES is missing; silent when all are present.
install_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

install_rust_components() {
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
}

# RocksDB's C++ is most of a clean build. Its static library is cached outside the
# checkout, keyed by content: the librocksdb-sys version from Cargo.lock, the rocksdb
# dependency line (features) and the build profile. A hit sets ROCKSDB_LIB_DIR so the
# C++ is not compiled again; a miss builds it from source and saves it afterwards.
rocksdb_cache_dir() {
  local profile=$1 version key
  version=$(awk '/^name = "librocksdb-sys"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
  key=$( (grep '^rocksdb = ' Cargo.toml; sed -n '/^\[profile/,$p' Cargo.toml; echo "$profile"; rustc --version) | sha256sum | cut -c1-16)
  echo "${TIDEPOOL_CACHE_DIR:-$HOME/.cache/tidepool}/librocksdb-sys-$version-$key"
}

use_rocksdb_cache() {
  local dir
  dir=$(rocksdb_cache_dir "$1")
  if [ -f "$dir/librocksdb.a" ]; then
    export ROCKSDB_LIB_DIR="$dir" ROCKSDB_STATIC=1
    echo "setup: using cached RocksDB library $dir"
  fi
}

save_rocksdb_cache() {
  local profile=$1 dir lib
  [ -n "${ROCKSDB_LIB_DIR:-}" ] && return 0
  dir=$(rocksdb_cache_dir "$profile")
  lib=$(ls -t "${CARGO_TARGET_DIR:-target}/$profile"/build/librocksdb-sys-*/out/librocksdb.a 2>/dev/null | head -n 1)
  [ -n "$lib" ] || return 0
  mkdir -p "$dir"
  cp "$lib" "$dir/librocksdb.a.tmp.$$" && mv "$dir/librocksdb.a.tmp.$$" "$dir/librocksdb.a"
  echo "setup: cached RocksDB library in $dir"
}
