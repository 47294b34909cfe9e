//! tauri-build reads ../tauri.conf.json (next to the root Cargo.toml, the manifest of
//! this package) and generates one permission per app command; the capability in
//! tauri.conf.json grants exactly these.

fn main() {
    // generate_context! embeds the built UI; say how to get it rather than failing later.
    if !std::path::Path::new("ui/dist/index.html").exists() {
        panic!("ui/dist is missing: build the UI first (npm --prefix ui ci && npm --prefix ui run build; scripts/run and scripts/test do this)");
    }
    println!("cargo:rerun-if-changed=ui/dist");
    let manifest = tauri_build::AppManifest::new().commands(&[
        "database_info",
        "open_database",
        "catalog",
        "run_sql",
        "cancel_sql",
        "history",
        "open_pane",
        "open_query_pane",
        "pane_rows",
        "set_pane_paused",
        "resubscribe_pane",
        "close_pane",
        "insert_row",
        "update_cell",
        "delete_rows",
        "local_api_status",
        "set_local_api",
        "new_local_api_token",
        "engine_settings",
        "set_engine_settings",
        "recent_databases",
        "forget_recent_database",
        "load_workspace",
        "save_workspace",
        "choose_file",
        "default_export_dir",
        "export_rows",
        "preview_import",
        "start_import",
        "cancel_import",
        "demo_status",
        "open_demo",
        "set_demo_writer",
        "test_connection",
        "connect_server",
        "connect_saved",
        "saved_connections",
        "rename_connection",
        "forget_connection",
        "server_connection",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
