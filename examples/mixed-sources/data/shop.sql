-- The shop's local order database (SQLite). build_db.sh turns it into data/shop.db.
CREATE TABLE orders (
  line_id INTEGER PRIMARY KEY,
  order_no TEXT NOT NULL,
  customer TEXT NOT NULL,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL,
  unit_price REAL NOT NULL,
  placed_at TEXT NOT NULL
);
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0001', 'C004', 'SKU-103', 3, 149.00, '2024-05-01 20:51:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0001', 'C004', 'SKU-101', 2, 9.00, '2024-05-01 20:51:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0002', 'C006', 'SKU-104', 2, 21.50, '2024-05-01 09:50:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0003', 'C005', 'SKU-105', 2, 12.00, '2024-05-02 20:38:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0004', 'C006', 'SKU-101', 2, 9.00, '2024-05-02 10:14:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0004', 'C006', 'SKU-107', 1, 11.00, '2024-05-02 10:14:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0005', 'C006', 'SKU-100', 2, 6.50, '2024-05-03 16:39:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0006', 'C006', 'SKU-106', 3, 24.00, '2024-05-03 19:07:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0007', 'C004', 'SKU-105', 3, 12.00, '2024-05-04 11:27:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0007', 'C004', 'SKU-100', 2, 6.50, '2024-05-04 11:27:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0008', 'C008', 'SKU-102', 1, 39.00, '2024-05-04 20:05:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0008', 'C008', 'SKU-101', 1, 9.00, '2024-05-04 20:05:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0009', 'C003', 'SKU-107', 2, 11.00, '2024-05-05 19:09:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0009', 'C003', 'SKU-105', 1, 12.00, '2024-05-05 19:09:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0010', 'C009', 'SKU-101', 3, 9.00, '2024-05-05 09:00:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0011', 'C003', 'SKU-103', 2, 149.00, '2024-05-06 12:52:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0011', 'C003', 'SKU-100', 1, 6.50, '2024-05-06 12:52:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0012', 'C005', 'SKU-104', 3, 21.50, '2024-05-06 18:20:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0013', 'C007', 'SKU-105', 2, 12.00, '2024-05-07 09:58:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0014', 'C010', 'SKU-102', 3, 39.00, '2024-05-07 17:08:00');
INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES ('SO-0014', 'C010', 'SKU-104', 1, 21.50, '2024-05-07 17:08:00');
