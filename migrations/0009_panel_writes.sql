-- Admin panel, write side: the reads its pages add.

-- The prices page: the cards ever ordered (DISTINCT card_type, value) and the cost of each one's
-- last order, read from this index alone instead of the orders table.
CREATE INDEX orders_card_value ON orders(card_type, value, id, cost);

-- A customer's pending credits and debits (the confirmation page reads one by id; this keeps the
-- admin's list of pending actions cheap as the table grows).
CREATE INDEX admin_actions_admin ON admin_actions(admin_id, status, id);
