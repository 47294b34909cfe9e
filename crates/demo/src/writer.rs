//! The demo writer: one step at a time it reads the order board, picks what happens next
//! (`board::next_action`) and writes it through the engine like any other writer —
//! typed writes for the orders and events, a prepared UPDATE for the customer who paid.
//! [`Writer::run`] takes steps at the pace a [`Control`] sets until it is stopped; the
//! app drives that control from its status bar, `tidepool demo` from its arguments.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value as Json;
use tidepool_engine::{rows_json, Actor, Engine, Prepared, Row, Session, StatementResult, TableName, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::board::{next_action, Action, Order, Rng, CANCELLED, PAID, PLACED, SHIPPED};
use crate::error::DemoError;
use crate::folder::is_demo;
use crate::shop::{ITEMS, NAMESPACE, PEOPLE};

/// Steps per second unless told otherwise: a few changes a second, easy to follow.
pub const DEFAULT_PACE: f64 = 3.0;
pub const MIN_PACE: f64 = 0.1;
pub const MAX_PACE: f64 = 100.0;

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Placed {
        order: i64,
        customer: String,
        item: String,
        quantity: i32,
        total: f64,
    },
    Paid {
        order: i64,
        customer: String,
        total: f64,
    },
    Cancelled {
        order: i64,
        customer: String,
    },
    Shipped {
        order: i64,
        customer: String,
    },
    /// A finished order left the full board.
    Archived {
        order: i64,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Placed {
                order,
                customer,
                item,
                quantity,
                total,
            } => write!(
                f,
                "placed    order {order:<5} {customer:<4} {quantity} × {item}, {total:.2}"
            ),
            Step::Paid { order, customer, total } => write!(f, "paid      order {order:<5} {customer:<4} {total:.2}"),
            Step::Cancelled { order, customer } => write!(f, "cancelled order {order:<5} {customer}"),
            Step::Shipped { order, customer } => write!(f, "shipped   order {order:<5} {customer}"),
            Step::Archived { order } => write!(f, "archived  order {order:<5} (finished, off the board)"),
        }
    }
}

/// How a running writer is driven.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Steps per second.
    pub pace: f64,
    pub paused: bool,
    pub stopped: bool,
}

/// The switches of a running writer, shared with whoever drives it, and what it has
/// done. A change wakes the writer at once (a watch channel), so a pause takes effect
/// before the next step.
pub struct Control {
    settings: watch::Sender<Settings>,
    steps: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Control {
    pub fn new(pace: f64) -> Control {
        let settings = Settings {
            pace: clamp_pace(pace),
            paused: false,
            stopped: false,
        };
        Control {
            settings: watch::Sender::new(settings),
            steps: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> Settings {
        *self.settings.borrow()
    }

    /// Sets the pace (clamped to MIN_PACE..=MAX_PACE) and returns it.
    pub fn set_pace(&self, pace: f64) -> f64 {
        let pace = clamp_pace(pace);
        self.settings.send_modify(|s| s.pace = pace);
        pace
    }

    pub fn set_paused(&self, paused: bool) {
        self.settings.send_modify(|s| s.paused = paused);
    }

    /// Ends `Writer::run` (after the step it is taking, if any).
    pub fn stop(&self) {
        self.settings.send_modify(|s| s.stopped = true);
    }

    /// Steps taken, failed ones included.
    pub fn steps(&self) -> u64 {
        self.steps.load(Ordering::Relaxed)
    }

    /// Why the last step failed; cleared by a step that succeeds.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(&self, result: &Result<Step, DemoError>) {
        self.steps.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = result.as_ref().err().map(|e| e.to_string());
    }
}

fn clamp_pace(pace: f64) -> f64 {
    if pace.is_nan() {
        DEFAULT_PACE
    } else {
        pace.clamp(MIN_PACE, MAX_PACE)
    }
}

/// Writes the demo shop's life into the demo database, and into no other.
pub struct Writer {
    session: Session,
    rng: Rng,
    /// The last order id given out (0 until the first step has looked).
    last_id: i64,
    pay: Option<Prepared>,
}

impl Writer {
    /// A writer for `engine`'s database, refused unless it was made as the demo.
    pub fn new(engine: &Engine) -> Result<Writer, DemoError> {
        if !is_demo(engine.path()) {
            return Err(DemoError::NotTheDemo(engine.path().to_path_buf()));
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Writer {
            session: engine.session(Actor::Admin),
            rng: Rng::new(seed),
            last_id: 0,
            pay: None,
        })
    }

    /// Takes steps at the control's pace until it is stopped, handing each result to
    /// `report`. A failed step (a table dropped or altered by hand) does not end it.
    pub async fn run(mut self, control: &Control, mut report: impl FnMut(&Result<Step, DemoError>)) {
        let mut settings = control.settings.subscribe();
        let mut last: Option<Instant> = None;
        loop {
            let now = *settings.borrow_and_update();
            if now.stopped {
                return;
            }
            if now.paused {
                if settings.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let due = last.map_or_else(Instant::now, |last| last + Duration::from_secs_f64(1.0 / now.pace));
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    continue;
                }
            }
            last = Some(Instant::now());
            let result = self.step().await;
            control.record(&result);
            report(&result);
        }
    }

    /// One step: read the board, decide, write.
    pub async fn step(&mut self) -> Result<Step, DemoError> {
        let board = self.board().await?;
        if self.last_id == 0 {
            let rows = query(&self.session, "SELECT max(order_id) FROM shop.events").await?;
            self.last_id = rows.first().and_then(|r| r.first()).and_then(Json::as_i64).unwrap_or(0);
        }
        let step = match next_action(&board, self.rng.next()) {
            Action::Place => self.place(&board)?,
            Action::Pay(i) => {
                let order = &board[i];
                self.set_status(order, PAID)?;
                self.credit(order).await?;
                self.event(PAID, order.id, &order.customer, order.total)?;
                Step::Paid {
                    order: order.id,
                    customer: order.customer.clone(),
                    total: order.total,
                }
            }
            Action::Cancel(i) => {
                let order = &board[i];
                self.set_status(order, CANCELLED)?;
                self.event(CANCELLED, order.id, &order.customer, order.total)?;
                Step::Cancelled {
                    order: order.id,
                    customer: order.customer.clone(),
                }
            }
            Action::Ship(i) => {
                let order = &board[i];
                self.set_status(order, SHIPPED)?;
                self.event(SHIPPED, order.id, &order.customer, order.total)?;
                Step::Shipped {
                    order: order.id,
                    customer: order.customer.clone(),
                }
            }
            Action::Archive(i) => {
                self.session
                    .delete_rows(&table("orders"), vec![vec![Value::BigInt(board[i].id)]])?;
                Step::Archived { order: board[i].id }
            }
        };
        Ok(step)
    }

    async fn board(&self) -> Result<Vec<Order>, DemoError> {
        let rows = query(
            &self.session,
            "SELECT id, customer, status, total FROM shop.orders ORDER BY id",
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match row.as_slice() {
                [id, customer, status, total] => Some(Order {
                    id: id.as_i64()?,
                    customer: customer.as_str()?.to_string(),
                    status: status.as_str().unwrap_or_default().to_string(),
                    total: total.as_f64().unwrap_or_default(),
                }),
                _ => None,
            })
            .collect())
    }

    fn place(&mut self, board: &[Order]) -> Result<Step, DemoError> {
        let id = board.iter().map(|o| o.id).max().unwrap_or(0).max(self.last_id) + 1;
        let customer = PEOPLE[self.rng.below(PEOPLE.len())].1.to_string();
        let (item, price) = ITEMS[self.rng.below(ITEMS.len())];
        let quantity = 1 + self.rng.below(3) as i32;
        let total = price * f64::from(quantity);
        let now = self.now();
        let row = Row::from([
            ("id".to_string(), Value::BigInt(id)),
            ("customer".to_string(), Value::Text(customer.clone())),
            ("item".to_string(), Value::Text(item.to_string())),
            ("quantity".to_string(), Value::Int(quantity)),
            ("total".to_string(), Value::Double(total)),
            ("status".to_string(), Value::Text(PLACED.to_string())),
            ("placed_at".to_string(), Value::Timestamp(now)),
            ("updated_at".to_string(), Value::Timestamp(now)),
        ]);
        self.session.insert_rows(&table("orders"), vec![row])?;
        self.last_id = id;
        self.event(PLACED, id, &customer, total)?;
        Ok(Step::Placed {
            order: id,
            customer,
            item: item.to_string(),
            quantity,
            total,
        })
    }

    fn set_status(&self, order: &Order, status: &str) -> Result<(), DemoError> {
        let changes = Row::from([
            ("status".to_string(), Value::Text(status.to_string())),
            ("updated_at".to_string(), Value::Timestamp(self.now())),
        ]);
        self.session
            .update_row(&table("orders"), vec![Value::BigInt(order.id)], changes)?;
        Ok(())
    }

    /// The paying customer's row (a USER table: the admin writes any user's row).
    async fn credit(&mut self, order: &Order) -> Result<(), DemoError> {
        if self.pay.is_none() {
            let sql = "UPDATE shop.customers SET orders = orders + 1, spent = spent + $1 WHERE name = $2";
            self.pay = Some(self.session.prepare(sql).await?);
        }
        let params = [Value::Double(order.total), Value::Text(order.customer.clone())];
        let result = match &self.pay {
            Some(pay) => self.session.execute_prepared(pay, &params).await,
            None => return Ok(()),
        };
        if result.is_err() {
            // Prepared again next time, against the catalog as it is then.
            self.pay = None;
        }
        result?;
        Ok(())
    }

    fn event(&self, kind: &str, order: i64, customer: &str, amount: f64) -> Result<(), DemoError> {
        let row = Row::from([
            ("kind".to_string(), Value::Text(kind.to_string())),
            ("order_id".to_string(), Value::BigInt(order)),
            ("customer".to_string(), Value::Text(customer.to_string())),
            ("amount".to_string(), Value::Double(amount)),
        ]);
        self.session.insert_rows(&table("events"), vec![row])?;
        Ok(())
    }

    fn now(&self) -> i64 {
        self.session.engine().clock().now_micros()
    }
}

/// `shop.<name>`.
fn table(name: &str) -> TableName {
    TableName::new(NAMESPACE, name)
}

/// The rows of a one-statement query, as JSON values.
pub(crate) async fn query(session: &Session, sql: &str) -> Result<Vec<Vec<Json>>, DemoError> {
    match session.execute(sql).await?.pop() {
        Some(StatementResult::Rows { batches, .. }) => Ok(rows_json(&batches)),
        _ => Ok(Vec::new()),
    }
}
