// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// Changed rows are made by the writer and freed by the live-query fan-out or a
// subscriber: mimalloc frees across threads without taking a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    tidepool_studio::run();
}
