//! The interactive prompt: statements end with `;`, history is kept across runs.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::Printer;
use crate::target::Target;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

/// `.tidepool_history` in the home folder.
fn history_path() -> Option<PathBuf> {
    history_in_home(cfg!(windows), |name| std::env::var_os(name))
}

/// The home folder is $HOME; on Windows, where HOME is usually not set (Git Bash and
/// MSYS set it), %USERPROFILE%.
fn history_in_home(windows: bool, env: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|value| !value.is_empty());
    let home = var("HOME").or_else(|| if windows { var("USERPROFILE") } else { None })?;
    Some(PathBuf::from(home).join(".tidepool_history"))
}

pub async fn run(target: &mut Target, printer: &Printer) -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("error: cannot start the prompt: {e}");
            return ExitCode::FAILURE;
        }
    };
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!(
        "tidepool {} on {} — end statements with ';', quit with \\q",
        env!("CARGO_PKG_VERSION"),
        target.describe()
    );
    // Subscriptions opened at the prompt print their messages as they arrive.
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "tidepool> " } else { "      ... " };
        match editor.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && matches!(trimmed, "\\q" | "quit" | "exit") {
                    break;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if trimmed.ends_with(';') {
                    let _ = editor.add_history_entry(buffer.trim());
                    target.run_script(printer, &buffer).await;
                    buffer.clear();
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn the_history_is_in_the_home_folder_of_each_system() {
        let home = |path: &str| Some(PathBuf::from(path).join(".tidepool_history"));
        assert_eq!(history_in_home(false, env(&[("HOME", "/home/ada")])), home("/home/ada"));
        assert_eq!(history_in_home(false, env(&[("USERPROFILE", r"C:\Users\ada")])), None);
        assert_eq!(
            history_in_home(true, env(&[("USERPROFILE", r"C:\Users\ada")])),
            home(r"C:\Users\ada")
        );
        assert_eq!(
            history_in_home(true, env(&[("HOME", ""), ("USERPROFILE", r"C:\Users\ada")])),
            home(r"C:\Users\ada")
        );
        assert_eq!(
            history_in_home(true, env(&[("HOME", "C:/msys/ada")])),
            home("C:/msys/ada")
        );
        assert_eq!(history_in_home(true, env(&[])), None);
    }
}
