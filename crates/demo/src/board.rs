//! The order board and what the writer does next. `shop.orders` is kept small enough to
//! see whole in a pane — [`BOARD`] orders once it has filled — and moves like a queue:
//! new orders arrive at the bottom, orders are paid, shipped or cancelled on their way
//! up, and the top one leaves once it is finished (its history stays in `shop.events`).
//! So every kind of change is in sight. Pure: the writer reads the board, asks
//! [`next_action`], and writes.

/// The most orders `shop.orders` holds; past it the oldest finished one is archived.
pub const BOARD: usize = 16;

/// An order's lifecycle: placed → paid → shipped, or placed → cancelled.
pub const PLACED: &str = "placed";
pub const PAID: &str = "paid";
pub const SHIPPED: &str = "shipped";
pub const CANCELLED: &str = "cancelled";

/// A row of `shop.orders`, as much of it as the writer needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: i64,
    pub customer: String,
    pub status: String,
    pub total: f64,
}

impl Order {
    /// Finished: shipped, cancelled, or anything the user set by hand.
    fn finished(&self) -> bool {
        self.status != PLACED && self.status != PAID
    }
}

/// What the writer does next, naming orders by their index in the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Place,
    Pay(usize),
    Cancel(usize),
    Ship(usize),
    Archive(usize),
}

/// The next action for `board` (in key order: oldest first), chosen with `roll`, a
/// random number. A full board moves its oldest order on (pays or cancels it, ships
/// it) until it is finished, then archives it. Below that, two in five actions place
/// an order and the rest move a random unfinished one on: a placed order is paid (or,
/// one time in seven or so, cancelled), a paid one shipped.
pub fn next_action(board: &[Order], roll: u64) -> Action {
    if board.len() >= BOARD {
        return if board[0].finished() {
            Action::Archive(0)
        } else {
            move_on(board, 0, roll)
        };
    }
    let unfinished: Vec<usize> = (0..board.len()).filter(|&i| !board[i].finished()).collect();
    if unfinished.len() < 2 || roll % 100 < 40 {
        return Action::Place;
    }
    move_on(board, unfinished[(roll / 100) as usize % unfinished.len()], roll)
}

/// The next status of the unfinished order `i`.
fn move_on(board: &[Order], i: usize, roll: u64) -> Action {
    if board[i].status == PAID {
        Action::Ship(i)
    } else if (roll >> 40) % 100 < 85 {
        Action::Pay(i)
    } else {
        Action::Cancel(i)
    }
}

/// splitmix64: the writer's dice, seeded from the clock (or by a test).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: i64, status: &str) -> Order {
        Order {
            id,
            customer: "ada".into(),
            status: status.into(),
            total: 1.0,
        }
    }

    /// Plays the board for many steps as the writer would: it never holds more than
    /// BOARD orders, never moves an order backwards, and every action happens.
    #[test]
    fn a_played_board_stays_small_and_sees_every_action() {
        let mut rng = Rng::new(7);
        let mut board: Vec<Order> = Vec::new();
        let mut next_id = 1;
        let mut seen = [0usize; 5];
        for _ in 0..10_000 {
            match next_action(&board, rng.next()) {
                Action::Place => {
                    assert!(board.len() < BOARD);
                    board.push(order(next_id, PLACED));
                    next_id += 1;
                    seen[0] += 1;
                }
                Action::Pay(i) => {
                    assert_eq!(board[i].status, PLACED);
                    board[i].status = PAID.into();
                    seen[1] += 1;
                }
                Action::Cancel(i) => {
                    assert_eq!(board[i].status, PLACED);
                    board[i].status = CANCELLED.into();
                    seen[2] += 1;
                }
                Action::Ship(i) => {
                    assert_eq!(board[i].status, PAID);
                    board[i].status = SHIPPED.into();
                    seen[3] += 1;
                }
                Action::Archive(i) => {
                    assert_eq!(i, 0, "the oldest goes");
                    assert!(board[i].finished());
                    board.remove(i);
                    seen[4] += 1;
                }
            }
            assert!(board.len() <= BOARD);
        }
        assert!(seen.iter().all(|&n| n > 200), "{seen:?}");
    }

    #[test]
    fn an_empty_board_places_and_a_full_one_moves_its_oldest_order_on_until_it_leaves() {
        assert_eq!(next_action(&[], 99), Action::Place);
        let mut full: Vec<Order> = (0..BOARD as i64).map(|id| order(id, PLACED)).collect();
        for roll in 0..200 {
            assert!(matches!(
                next_action(&full, roll << 36),
                Action::Pay(0) | Action::Cancel(0)
            ));
        }
        full[0].status = PAID.into();
        assert_eq!(next_action(&full, 5), Action::Ship(0));
        full[0].status = SHIPPED.into();
        assert_eq!(next_action(&full, 5), Action::Archive(0));
        // A status set by hand counts as finished.
        full[0].status = "lost".into();
        assert_eq!(next_action(&full, 5), Action::Archive(0));
    }

    /// Over a long run the board shows every status, none of them most of the time.
    #[test]
    fn a_full_board_holds_a_mix_of_statuses() {
        let mut rng = Rng::new(11);
        let mut board: Vec<Order> = Vec::new();
        let mut shown = std::collections::HashMap::<String, usize>::new();
        for id in 0..20_000 {
            match next_action(&board, rng.next()) {
                Action::Place => board.push(order(id, PLACED)),
                Action::Pay(i) => board[i].status = PAID.into(),
                Action::Cancel(i) => board[i].status = CANCELLED.into(),
                Action::Ship(i) => board[i].status = SHIPPED.into(),
                Action::Archive(i) => drop(board.remove(i)),
            }
            for o in &board {
                *shown.entry(o.status.clone()).or_default() += 1;
            }
        }
        let total: usize = shown.values().sum();
        for status in [PLACED, PAID, SHIPPED, CANCELLED] {
            let share = shown.get(status).copied().unwrap_or_default() as f64 / total as f64;
            assert!((0.04..0.6).contains(&share), "{status}: {share:.2} of the board");
        }
    }
}
