//! The order board and what the writer does next. `shop.orders` is kept small enough to
//! see whole in a pane — at most [`BOARD`] orders — so every kind of change shows: new
//! orders arrive at the bottom, paid, shipped and cancelled ones change their status in
//! place, and the oldest finished ones leave the board (their history stays in
//! `shop.events`). Pure: the writer reads the board, asks [`next_action`], and writes.

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
/// random number: a full board first archives its oldest finished order; otherwise
/// about a third of the actions place an order, a third pay one, one in eight cancels
/// one and the rest ship paid orders.
pub fn next_action(board: &[Order], roll: u64) -> Action {
    let with = |status: &str| -> Vec<usize> { (0..board.len()).filter(|&i| board[i].status == status).collect() };
    let placed = with(PLACED);
    let paid = with(PAID);
    let room = board.len() < BOARD;
    if !room {
        if let Some(oldest) = board.iter().position(Order::finished) {
            return Action::Archive(oldest);
        }
    }
    let pick = |among: &[usize]| among[(roll / 100) as usize % among.len()];
    let share = roll % 100;
    if room && (placed.len() < 2 || share < 35) {
        return Action::Place;
    }
    if !placed.is_empty() && share < 70 {
        return Action::Pay(pick(&placed));
    }
    if !placed.is_empty() && share < 82 {
        return Action::Cancel(pick(&placed));
    }
    if let Some(&oldest) = paid.first() {
        return Action::Ship(oldest);
    }
    if room {
        return Action::Place;
    }
    // A full board of placed orders (paid ones would have shipped above).
    Action::Pay(pick(&placed))
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
                    assert!(board[i].finished());
                    assert!(board[..i].iter().all(|o| !o.finished()), "the oldest finished one goes");
                    board.remove(i);
                    seen[4] += 1;
                }
            }
            assert!(board.len() <= BOARD);
        }
        assert!(seen.iter().all(|&n| n > 200), "{seen:?}");
    }

    #[test]
    fn an_empty_board_places_and_a_full_unfinished_one_moves_orders_on() {
        assert_eq!(next_action(&[], 99), Action::Place);
        let full: Vec<Order> = (0..BOARD as i64).map(|id| order(id, PLACED)).collect();
        for roll in 0..200 {
            assert!(matches!(next_action(&full, roll), Action::Pay(_) | Action::Cancel(_)));
        }
        let paid: Vec<Order> = (0..BOARD as i64).map(|id| order(id, PAID)).collect();
        assert_eq!(next_action(&paid, 5), Action::Ship(0));
    }

    #[test]
    fn statuses_set_by_hand_count_as_finished() {
        let mut board: Vec<Order> = (0..BOARD as i64).map(|id| order(id, PAID)).collect();
        board[3].status = "lost".into();
        assert_eq!(next_action(&board, 0), Action::Archive(3));
    }
}
