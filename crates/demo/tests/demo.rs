//! The demo shop and its writer against a real engine in a temporary folder.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value as Json};
use tidepool_demo::{create, install, Control, DemoError, Step, Writer, BOARD, MARKER};
use tidepool_engine::{rows_json, Actor, Engine, Session, StatementResult};

async fn rows(session: &Session, sql: &str) -> Vec<Vec<Json>> {
    match session.execute(sql).await.unwrap().pop() {
        Some(StatementResult::Rows { batches, .. }) => rows_json(&batches),
        other => panic!("{sql}: {other:?}"),
    }
}

async fn one(session: &Session, sql: &str) -> Json {
    rows(session, sql).await[0][0].clone()
}

#[tokio::test]
async fn a_new_demo_has_the_shop_its_customers_and_a_first_board() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let engine = create(&dir).await.unwrap();
    assert!(dir.join(MARKER).is_file());
    let admin = engine.session(Actor::Admin);
    assert_eq!(
        rows(
            &admin,
            "SELECT name, kind FROM system.tables WHERE namespace = 'shop' ORDER BY name"
        )
        .await,
        vec![
            vec![json!("customers"), json!("USER")],
            vec![json!("events"), json!("STREAM")],
            vec![json!("orders"), json!("SHARED")],
        ]
    );
    assert_eq!(one(&admin, "SELECT count(*) FROM shop.customers").await, json!(8));
    let orders = one(&admin, "SELECT count(*) FROM shop.orders").await.as_u64().unwrap();
    assert!(
        (2..=BOARD as u64).contains(&orders),
        "{orders} orders on the first board"
    );
    assert!(one(&admin, "SELECT count(*) FROM shop.events").await.as_u64().unwrap() >= orders);
    // Customers is a USER table: a customer sees their own row only.
    let ada = engine.session(Actor::User("ada".into()));
    assert_eq!(
        rows(&ada, "SELECT name, city FROM shop.customers").await,
        vec![vec![json!("ada"), json!("Lisbon")]]
    );
}

#[tokio::test]
async fn the_writer_places_pays_cancels_ships_and_archives_and_the_books_balance() {
    let root = tempfile::tempdir().unwrap();
    let engine = create(&root.path().join("demo")).await.unwrap();
    let admin = engine.session(Actor::Admin);
    let mut writer = Writer::new(&engine).unwrap();
    let mut seen = [0; 5];
    for _ in 0..600 {
        let step = writer.step().await.unwrap();
        let kind = match step {
            Step::Placed { .. } => 0,
            Step::Paid { .. } => 1,
            Step::Cancelled { .. } => 2,
            Step::Shipped { .. } => 3,
            Step::Archived { .. } => 4,
        };
        seen[kind] += 1;
    }
    assert!(seen.iter().all(|&n| n > 5), "{seen:?}");
    let orders = one(&admin, "SELECT count(*) FROM shop.orders").await.as_u64().unwrap();
    assert!(orders <= BOARD as u64, "{orders} orders on the board");
    // Every payment reached its customer: what they spent is what the events say was paid.
    let spent = one(&admin, "SELECT round(sum(spent), 2) FROM shop.customers").await;
    let paid = one(
        &admin,
        "SELECT round(sum(amount), 2) FROM shop.events WHERE kind = 'paid'",
    )
    .await;
    assert_eq!(spent, paid);
    let count = one(&admin, "SELECT sum(orders) FROM shop.customers").await;
    assert_eq!(
        count,
        one(&admin, "SELECT count(*) FROM shop.events WHERE kind = 'paid'").await
    );
    // Order ids only grow: the newest order is the board's last row.
    let ids = rows(&admin, "SELECT id FROM shop.orders ORDER BY id").await;
    let placed = one(&admin, "SELECT max(order_id) FROM shop.events WHERE kind = 'placed'").await;
    assert!(ids.last().unwrap()[0].as_i64().unwrap() <= placed.as_i64().unwrap());
}

#[tokio::test]
async fn the_writer_refuses_a_database_not_made_as_the_demo() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mine");
    let engine = Engine::open(&dir).unwrap();
    let admin = engine.session(Actor::Admin);
    // The user's own database, with the very same tables: still not the demo.
    admin
        .execute(
            "CREATE NAMESPACE shop;
             CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL, item TEXT NOT NULL,
               quantity INT NOT NULL, total DOUBLE NOT NULL, status TEXT NOT NULL,
               placed_at TIMESTAMP, updated_at TIMESTAMP);
             INSERT INTO shop.orders VALUES (1, 'me', 'my thing', 1, 5.0, 'placed', NULL, NULL);",
        )
        .await
        .unwrap();
    let seq = engine.last_seq();
    assert!(matches!(Writer::new(&engine), Err(DemoError::NotTheDemo(_))));
    assert!(matches!(install(&engine).await, Err(DemoError::NotTheDemo(_))));
    let message = Writer::new(&engine).err().unwrap().to_string();
    assert!(message.contains("is not the demo database"), "{message}");
    assert_eq!(engine.last_seq(), seq, "nothing was written");
    drop(admin);
    drop(engine);

    // Nor is the demo made over it.
    assert!(matches!(create(&dir).await, Err(DemoError::FolderInUse(_))));
    assert!(!dir.join(MARKER).exists());
    let engine = Engine::open(&dir).unwrap();
    let admin = engine.session(Actor::Admin);
    assert_eq!(
        rows(&admin, "SELECT id, status FROM shop.orders").await,
        vec![vec![json!(1), json!("placed")]]
    );
    assert_eq!(engine.last_seq(), seq);
}

#[tokio::test]
async fn reopening_the_demo_keeps_its_rows_and_restores_a_dropped_table() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let engine = create(&dir).await.unwrap();
    let admin = engine.session(Actor::Admin);
    let before = rows(&admin, "SELECT id, status FROM shop.orders ORDER BY id").await;
    admin.execute("DROP TABLE shop.events").await.unwrap();
    drop(admin);
    drop(engine);

    let engine = create(&dir).await.unwrap();
    let admin = engine.session(Actor::Admin);
    assert_eq!(
        rows(&admin, "SELECT id, status FROM shop.orders ORDER BY id").await,
        before
    );
    assert_eq!(one(&admin, "SELECT count(*) FROM shop.customers").await, json!(8));
    assert_eq!(one(&admin, "SELECT count(*) FROM shop.events").await, json!(0));
    // The writer goes on from the highest order id.
    let mut writer = Writer::new(&engine).unwrap();
    let last = before.last().unwrap()[0].as_i64().unwrap();
    loop {
        if let Step::Placed { order, .. } = writer.step().await.unwrap() {
            assert!(order > last, "order {order} after {last}");
            break;
        }
    }
}

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_writer_follows_its_pace_pauses_and_stops() {
    let root = tempfile::tempdir().unwrap();
    let engine = create(&root.path().join("demo")).await.unwrap();
    let control = Arc::new(Control::new(40.0));
    let writer = Writer::new(&engine).unwrap();
    let running = {
        let control = control.clone();
        tokio::spawn(async move {
            let mut ok = 0;
            writer
                .run(&control, |step| {
                    if step.is_ok() {
                        ok += 1
                    }
                })
                .await;
            ok
        })
    };
    wait_for("ten steps", || control.steps() >= 10).await;
    assert_eq!(control.last_error(), None);

    control.set_paused(true);
    // A step under way when the pause came ends; after that nothing is written.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (seq, steps) = (engine.last_seq(), control.steps());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        (engine.last_seq(), control.steps()),
        (seq, steps),
        "a paused writer wrote"
    );

    control.set_paused(false);
    wait_for("steps after resuming", || control.steps() >= steps + 5).await;
    assert!(engine.last_seq() > seq);

    // The pace bounds what it does: at 2 steps a second, a second brings at most 3.
    assert_eq!(control.set_pace(2.0), 2.0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let steps = control.steps();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        control.steps() - steps <= 3,
        "{} steps in a second",
        control.steps() - steps
    );
    assert_eq!(control.set_pace(1e9), tidepool_demo::MAX_PACE);

    control.stop();
    let ok = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
    assert!(ok as u64 >= steps);
}
