//! The window menu: File → New / Open database (native dialogs), Open Recent (folders,
//! then saved servers), Connect to Server… (the window's dialog), Open Demo Database,
//! Quit.

use std::path::PathBuf;

use tauri::menu::{Menu, MenuEvent, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::commands::connections::{open_saved, token_request};
use crate::commands::database::switch_database;
use crate::connections::Connections;
use crate::ipc::{TokenRequest, CONNECT_EVENT};
use crate::state::AppState;

const NEW: &str = "file-new-database";
const OPEN: &str = "file-open-database";
const DEMO: &str = "file-open-demo";
const CONNECT: &str = "file-connect-server";
/// Open Recent items are `recent:<path>`, and `server:<id>` for saved connections.
const RECENT: &str = "recent:";
const SERVER: &str = "server:";

/// macOS shows the first submenu as the application menu, under the app's name: there
/// it holds About, Hide and Quit, and File comes second. Elsewhere Quit ends File.
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let macos = cfg!(target_os = "macos");
    let mut file = SubmenuBuilder::new(app, "File")
        .item(
            &MenuItemBuilder::with_id(NEW, "New Database…")
                .accelerator("CmdOrCtrl+Shift+N")
                .build(app)?,
        )
        .item(
            &MenuItemBuilder::with_id(OPEN, "Open Database…")
                .accelerator("CmdOrCtrl+O")
                .build(app)?,
        )
        .item(&recent_menu(app)?)
        .item(&MenuItemBuilder::with_id(CONNECT, "Connect to Server…").build(app)?)
        .item(&MenuItemBuilder::with_id(DEMO, "Open Demo Database").build(app)?);
    if !macos {
        file = file.separator().item(&PredefinedMenuItem::quit(app, None)?);
    }
    let file = file.build()?;
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    if macos {
        let name = app.package_info().name.clone();
        let application = SubmenuBuilder::new(app, name)
            .about(None)
            .separator()
            .services()
            .separator()
            .hide()
            .hide_others()
            .show_all()
            .separator()
            .quit()
            .build()?;
        return Menu::with_items(app, &[&application, &file, &edit]);
    }
    Menu::with_items(app, &[&file, &edit])
}

fn recent_menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<tauri::menu::Submenu<R>> {
    let state = app.state::<AppState>();
    let source = state.source().ok();
    let open = source.as_ref().map(|source| source.location().to_string());
    let recent: Vec<_> = state
        .memory
        .recent()
        .into_iter()
        .filter(|d| d.exists && Some(&d.path) != open.as_ref())
        .collect();
    let mut menu = SubmenuBuilder::new(app, "Open Recent");
    for database in &recent {
        menu = menu.item(&MenuItemBuilder::with_id(format!("{RECENT}{}", database.path), &database.path).build(app)?);
    }
    if recent.is_empty() {
        menu = menu.item(&MenuItemBuilder::new("No recent databases").enabled(false).build(app)?);
    }
    // Saved servers (but the open one), with whom their token acts as.
    if let Some(connections) = app.try_state::<Connections>() {
        let open_id = connections.open(source.as_ref()).and_then(|c| c.id);
        let servers: Vec<_> = connections
            .saved()
            .into_iter()
            .filter(|c| Some(&c.id) != open_id.as_ref())
            .collect();
        if !servers.is_empty() {
            menu = menu.separator();
        }
        for c in servers {
            let who = c.acting_as.map(|user| format!("{user} @ ")).unwrap_or_default();
            let label = format!("{} — {who}{}", c.name, c.url);
            menu = menu.item(&MenuItemBuilder::with_id(format!("{SERVER}{}", c.id), label).build(app)?);
        }
    }
    menu.build()
}

/// Rebuilds the menu (after the recent list changed), if the app has one.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    if app.menu().is_none() {
        return;
    }
    if let Ok(menu) = build(app) {
        let _ = app.set_menu(menu);
    }
}

pub fn handle<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let dialog = app.dialog().file();
    let app = app.clone();
    if let Some(path) = event.id().as_ref().strip_prefix(RECENT) {
        return open(&app, PathBuf::from(path));
    }
    if let Some(id) = event.id().as_ref().strip_prefix(SERVER) {
        return open_server(&app, id.to_string());
    }
    match event.id().as_ref() {
        NEW => dialog
            .set_title("New database: choose a name for its folder")
            .save_file(move |path| {
                if let Some(path) = path.and_then(|p| p.into_path().ok()) {
                    open(&app, path);
                }
            }),
        OPEN => dialog.set_title("Open a database folder").pick_folder(move |path| {
            if let Some(path) = path.and_then(|p| p.into_path().ok()) {
                open(&app, path);
            }
        }),
        // The dialog is the window's: URL, token, certificate, Test and Save.
        CONNECT => {
            let _ = app.emit(CONNECT_EVENT, None::<TokenRequest>);
        }
        DEMO => {
            tauri::async_runtime::spawn(async move {
                if let Err(e) = crate::commands::demo::open(&app).await {
                    show_error(&app, "Cannot open the demo database", &e.message);
                }
            });
        }
        _ => {}
    }
}

fn open<R: Runtime>(app: &AppHandle<R>, path: PathBuf) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = switch_database(&app, path.clone()).await {
            show_error(&app, &format!("Cannot open {}", path.display()), &e.message);
        }
    });
}

/// Opens a saved server; when it needs a token the window's dialog asks for it.
fn open_server<R: Runtime>(app: &AppHandle<R>, id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = open_saved(&app, &id, None).await {
            match token_request(&app, &id, &e) {
                Some(request) => {
                    let _ = app.emit(CONNECT_EVENT, Some(request));
                }
                None => show_error(&app, "Cannot connect to the server", &e.message),
            }
        }
    });
}

fn show_error<R: Runtime>(app: &AppHandle<R>, what: &str, why: &str) {
    app.dialog()
        .message(format!("{what}:\n{why}"))
        .kind(MessageDialogKind::Error)
        .title("Tidepool Studio")
        .show(|_| {});
}
