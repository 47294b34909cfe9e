//! `tidepool demo`: makes the demo shop and runs the demo writer until interrupted,
//! printing each step. The app runs the same writer (crates/demo).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tidepool_demo::{Control, Writer, DEFAULT_PACE, MAX_PACE, MIN_PACE};
use tidepool_server::Config;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// The demo database's folder: made the demo when it is new or empty, reopened when
    /// it is the demo already, refused otherwise. The app's demo database (beside the
    /// default one) when omitted.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Steps per second (each places, pays, cancels, ships or archives one order).
    #[arg(long, default_value_t = DEFAULT_PACE, value_parser = pace)]
    pace: f64,
    /// Stop after this many seconds instead of running until interrupted.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    seconds: Option<f64>,
    /// Print nothing for each step.
    #[arg(long)]
    quiet: bool,
    /// Also serve the demo over the local API on this address, as `tidepool serve`
    /// does, so `tidepool subscribe --server` (or any client) can watch it change:
    /// only one process opens a database folder.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

fn pace(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(pace) if (MIN_PACE..=MAX_PACE).contains(&pace) => Ok(pace),
        _ => Err(format!("a number of steps per second from {MIN_PACE} to {MAX_PACE}")),
    }
}

fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.0..=1e9).contains(&seconds) => Ok(seconds),
        _ => Err("a number of seconds, 0 or more".into()),
    }
}

pub async fn run(args: DemoArgs) -> Result<ExitCode, String> {
    let db = args
        .db
        .or_else(tidepool_demo::default_dir)
        .ok_or("no --db given and no home folder to put the demo database in")?;
    let engine = tidepool_demo::create(&db).await.map_err(|e| e.to_string())?;
    let writer = Writer::new(&engine).map_err(|e| e.to_string())?;
    println!(
        "demo database {}: {} (USER), {} and {} (STREAM, an hour of history)",
        db.display(),
        tidepool_demo::CUSTOMERS,
        tidepool_demo::ORDERS,
        tidepool_demo::EVENTS
    );
    println!(
        "the demo writer places, pays and cancels orders, {} steps a second; Ctrl-C stops it",
        args.pace
    );
    let server = match args.listen {
        Some(listen) => Some(
            crate::serve::start(
                engine.clone(),
                Config {
                    listen,
                    ..Config::default()
                },
            )
            .await?,
        ),
        None => None,
    };
    let _ = std::io::stdout().flush();
    let control = Control::new(args.pace);
    let quiet = args.quiet;
    let running = writer.run(&control, |step| {
        match step {
            Ok(step) if !quiet => println!("{step}"),
            Ok(_) => {}
            Err(e) => eprintln!("error: {e}"),
        }
        let _ = std::io::stdout().flush();
    });
    tokio::pin!(running);
    let limit = async {
        match args.seconds {
            Some(seconds) => tokio::time::sleep(Duration::from_secs_f64(seconds)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = &mut running => {}
        _ = crate::signal::stopped() => {}
        _ = limit => {}
    }
    // The step under way, if any, ends before the database is closed.
    control.stop();
    running.await;
    if let Some(server) = server {
        server.stop().await;
    }
    println!(
        "stopped after {} steps; the demo is kept in {}",
        control.steps(),
        db.display()
    );
    Ok(ExitCode::SUCCESS)
}
