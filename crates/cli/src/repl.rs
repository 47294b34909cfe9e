//! The interactive prompt: statements end with `;`, history is kept across runs.

use std::process::ExitCode;

use crate::output::Printer;
use crate::target::Target;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".tidepool_history"))
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
