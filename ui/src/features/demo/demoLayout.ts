// The demo's first tabs, when the demo database opens with no saved workspace: the
// live orders pane with its change feed in front, the start page and a console of
// example queries beside it. One side only: the pane needs the width to show an
// order's status next to the feed.
import { addTab, emptyLayout, type Layout, type Tab } from "../workspace/workspace";

/** The table the demo writer keeps moving. */
export const DEMO_ORDERS = "shop.orders";

/** The demo console's text: queries to run one by one (select, Ctrl/Cmd+Enter) or all. */
export const DEMO_CONSOLE = `-- The demo shop. Nobody is typing: the demo writer (status bar) places, pays,
-- ships and cancels orders a few times a second. Pause it or set its pace there.
-- Ctrl/Cmd+Enter runs everything here, or only the lines you select.

-- What the orders on the board are worth, by status. The result's ● Live button
-- keeps it current; Chart draws it.
SELECT status, sum(total) AS amount
FROM shop.orders
GROUP BY status;

-- How many orders are in each status, live in a pane of its own: a live aggregate.
SUBSCRIBE TO SELECT status, count(*) AS orders FROM shop.orders GROUP BY status;

-- Takings every 10 seconds from the event stream (shop.events is a STREAM table:
-- its rows expire after an hour). ● Live, then Chart: a line that grows.
SELECT date_bin(INTERVAL '10 seconds', at) AS time, sum(amount) AS paid
FROM shop.events
WHERE kind = 'paid'
GROUP BY 1
ORDER BY 1;

-- The best customers. shop.customers is a USER table: put ada in "Acting as"
-- (status bar) and only Ada's row is left.
SELECT name, city, orders, spent
FROM shop.customers
ORDER BY spent DESC
LIMIT 5;
`;

/** Start, the console and the orders pane (shown); without the pane (it could not
 * open), the console is shown. */
export function demoLayout(start: Tab, orders: Tab | null, console: Tab): Layout {
  const tabs = addTab(addTab(emptyLayout(), start), console);
  return orders ? addTab(tabs, orders) : tabs;
}
