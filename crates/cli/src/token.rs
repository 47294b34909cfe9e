//! `tidepool token create|list|revoke`: API tokens, through the same SQL a console
//! would run (`CREATE TOKEN`, `system.tokens`, `DROP TOKEN`).

use std::process::ExitCode;

use crate::target::Target;
use crate::Connect;

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token; its text is printed once.
    Create {
        #[command(flatten)]
        connect: Connect,
        /// The user the token acts as; an admin token when omitted.
        #[arg(long = "for-user", value_name = "USER")]
        for_user: Option<String>,
        /// A note on what the token is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their text).
    List {
        #[command(flatten)]
        connect: Connect,
    },
    /// Revoke a token by id; it stops working at once.
    Revoke {
        #[command(flatten)]
        connect: Connect,
        id: String,
    },
}

pub async fn run(command: TokenCommand) -> Result<ExitCode, String> {
    match command {
        TokenCommand::Create {
            connect,
            for_user,
            label,
        } => {
            let mut target = Target::connect(&connect, false)?;
            let who = match for_user {
                Some(user) => format!("FOR USER {}", quote(&user)),
                None => "FOR ADMIN".into(),
            };
            let results = target
                .query_json(&format!("CREATE TOKEN {who} LABEL {}", quote(&label)))
                .await?;
            let row = &results[0]["rows"][0];
            println!("id:    {}", row[0].as_str().unwrap_or_default());
            println!("user:  {}", row[1].as_str().unwrap_or_default());
            println!("token: {}", row[3].as_str().unwrap_or_default());
            eprintln!("(shown once and stored only as a hash)");
        }
        TokenCommand::List { connect } => {
            let mut target = Target::connect(&connect, false)?;
            let printer = crate::output::Printer::new(crate::Format::Table);
            let sql = "SELECT id, user, label, created FROM system.tokens ORDER BY created";
            if !target.run_script(&printer, sql).await {
                return Ok(ExitCode::FAILURE);
            }
        }
        TokenCommand::Revoke { connect, id } => {
            let mut target = Target::connect(&connect, false)?;
            target.query_json(&format!("DROP TOKEN {}", quote(&id))).await?;
            println!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
