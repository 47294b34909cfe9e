# Shared by scripts/run, scripts/test and scripts/package: system packages, toolchain
# pieces, the RocksDB build cache and the Tauri bundler. Source it from the repository
# root.

set -euo pipefail

# Debian/Ubuntu packages the build needs: a C/C++ toolchain, clang + libclang-dev
# (bindgen in librocksdb-sys), Tauri's WebKitGTK stack, for the end-to-end suite Xvfb
# and WebKitGTK's WebDriver, and for the package check desktop-file-validate and
# xprop/xwininfo, and for the OS keychain that keeps server tokens libdbus (the Secret
# Service client) with, for its tests, a D-Bus session bus and GNOME Keyring.
SYSTEM_PACKAGES=(
  build-essential pkg-config clang libclang-dev
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb xauth webkit2gtk-driver
  desktop-file-utils x11-utils
  libdbus-1-dev dbus gnome-keyring
)

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

# Node.js (with npm) must be there already; the UI's packages are installed from the
# lock file when it changed since the last install.
require_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "setup: Node.js 20 or newer with npm is needed (https://nodejs.org)" >&2
    exit 1
  fi
}

npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: installing the npm packages of $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

# The UI that the app embeds (ui/dist), built from ui/.
build_ui() {
  require_node
  npm_install ui
  npm --prefix ui run --silent build
}

# The Tauri CLI of ui/package.json (from the UI's npm packages: nothing installed
# globally). Run from the repository root, where tauri.conf.json is.
tauri_cli() {
  node ui/node_modules/@tauri-apps/cli/tauri.js "$@"
}

# Bundles the app binary that `cargo build --features custom-protocol` made for PROFILE
# (debug or release) as the Linux BUNDLES (comma-separated: deb, rpm, appimage) in
# target/PROFILE/bundle/. `tauri bundle` builds nothing itself, so what it packs is the
# binary built (and, in debug, tested) with the workspace's one feature set: a
# `tauri build` would run its own cargo build. --no-binary-patching: the patch records
# the bundle type for Tauri's updater, which the app does not use, and would rewrite
# cargo's own output in place.
bundle_app() {
  local profile=$1 bundles=$2 flags=()
  [ "$profile" = debug ] && flags+=(--debug)
  tauri_cli bundle "${flags[@]}" --bundles "$bundles" --features custom-protocol --no-binary-patching --no-sign --ci
}

# tauri-driver bridges WebDriver clients to WebKitWebDriver for the end-to-end suite.
install_tauri_driver() {
  command -v tauri-driver >/dev/null || cargo install tauri-driver --version '^2' --locked --quiet
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

# Runs a command inside a D-Bus session of its own with GNOME Keyring serving the
# Secret Service, unlocked: the real keychain the app's connection tests keep tokens in
# (tests/app/connections.rs), in a throwaway folder, so the user's own keyring is never
# touched. Its login password is a throwaway too: with an empty one gnome-keyring makes
# no login keyring, and the Secret Service then has no default collection to store in.
# The daemon ends with the session.
with_secret_service() {
  local dir status=0
  dir=$(mktemp -d)
  dbus-run-session -- bash -c '
    set -euo pipefail
    dir=$1; shift
    printf "%s" throwaway | XDG_DATA_HOME="$dir" XDG_RUNTIME_DIR="$dir" \
      gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
    exec "$@"' with_secret_service "$dir" "$@" || status=$?
  rm -rf "$dir"
  return "$status"
}
