//! The demo shop's tables and first rows: customers (a USER table: each customer's row
//! belongs to them), the order board, and a STREAM of events that keeps an hour of
//! history.

use std::path::Path;

use tidepool_engine::{Actor, Engine, Session};

use crate::error::DemoError;
use crate::folder::{is_demo, prepare};
use crate::writer::Writer;

pub const NAMESPACE: &str = "shop";
pub const CUSTOMERS: &str = "shop.customers";
pub const ORDERS: &str = "shop.orders";
pub const EVENTS: &str = "shop.events";

/// Every statement is idempotent: installing again restores a dropped table and keeps
/// the rest. An order's status comes right after its key: the column that changes stays
/// in sight in a narrow pane.
const SCHEMA: &str = "CREATE NAMESPACE IF NOT EXISTS shop;
CREATE USER TABLE IF NOT EXISTS shop.customers (
  id BIGINT PRIMARY KEY, name TEXT NOT NULL, city TEXT,
  orders BIGINT DEFAULT 0, spent DOUBLE DEFAULT 0);
CREATE TABLE IF NOT EXISTS shop.orders (
  id BIGINT PRIMARY KEY, status TEXT NOT NULL, customer TEXT NOT NULL, item TEXT NOT NULL,
  quantity INT NOT NULL, total DOUBLE NOT NULL,
  placed_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW());
CREATE STREAM TABLE IF NOT EXISTS shop.events (
  id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), at TIMESTAMP DEFAULT NOW(),
  kind TEXT NOT NULL, order_id BIGINT, customer TEXT, amount DOUBLE)
  WITH (TTL_SECONDS = 3600, MAX_ROWS = 100000);";

/// The customers: (id, name, city). Each row's owner (`_user`) is the customer's name,
/// so acting as `ada` shows Ada's row only.
pub const PEOPLE: [(i64, &str, &str); 8] = [
    (1, "ada", "Lisbon"),
    (2, "bea", "Oslo"),
    (3, "cyd", "Kyoto"),
    (4, "dev", "Pune"),
    (5, "eli", "Quito"),
    (6, "fay", "Dakar"),
    (7, "gus", "Perth"),
    (8, "hal", "Tromsø"),
];

/// What the shop sells: (item, price).
pub const ITEMS: [(&str, f64); 6] = [
    ("tide mug", 12.0),
    ("kelp notebook", 7.5),
    ("sea-glass lamp", 49.0),
    ("shell earrings", 18.0),
    ("driftwood frame", 24.0),
    ("anemone print", 32.0),
];

/// Steps the writer takes when it fills a new demo, so the first screen has a board.
const FIRST_STEPS: usize = 24;

/// Makes `dir` the demo database (a new or empty folder; an existing demo is reopened)
/// and installs the shop: what `tidepool demo` does.
pub async fn create(dir: &Path) -> Result<Engine, DemoError> {
    prepare(dir)?;
    let engine = Engine::open(dir)?;
    install(&engine).await?;
    Ok(engine)
}

/// Creates the shop's tables where they are missing and, in a new demo, its customers
/// and a first board of orders. Refused for a database not made as the demo.
pub async fn install(engine: &Engine) -> Result<(), DemoError> {
    if !is_demo(engine.path()) {
        return Err(DemoError::NotTheDemo(engine.path().to_path_buf()));
    }
    let admin = engine.session(Actor::Admin);
    admin.execute(SCHEMA).await?;
    if count(&admin, CUSTOMERS).await? == 0 {
        let rows: Vec<String> = PEOPLE
            .iter()
            .map(|(id, name, city)| format!("('{name}', {id}, '{name}', '{city}')"))
            .collect();
        admin
            .execute(&format!(
                "INSERT INTO shop.customers (_user, id, name, city) VALUES {}",
                rows.join(", ")
            ))
            .await?;
    }
    if count(&admin, ORDERS).await? == 0 {
        let mut writer = Writer::new(engine)?;
        for _ in 0..FIRST_STEPS {
            writer.step().await?;
        }
    }
    Ok(())
}

async fn count(session: &Session, table: &str) -> Result<i64, DemoError> {
    let rows = crate::writer::query(session, &format!("SELECT count(*) FROM {table}")).await?;
    Ok(rows
        .first()
        .and_then(|row| row.first())
        .and_then(|v| v.as_i64())
        .unwrap_or(0))
}
