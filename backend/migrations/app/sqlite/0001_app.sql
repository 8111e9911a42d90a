-- A site's own data: the Store's products and carts, the Forums' posts. Each site has its own
-- database (and its own sessions), as two separate applications would.

CREATE TABLE products (
    sku         TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE cart_items (
    user_id  TEXT NOT NULL,
    sku      TEXT NOT NULL REFERENCES products (sku),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, sku)
);

CREATE TABLE posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX posts_created ON posts (created_at DESC);

-- Demo data, keyed by the user ids of backend/kickstart/kickstart.json.
INSERT INTO products (sku, name, price_cents) VALUES
    ('TEA-001', 'Sencha green tea, 100 g', 1250),
    ('MUG-002', 'Stoneware mug', 1800),
    ('KET-003', 'Gooseneck kettle', 5400),
    ('CUP-004', 'Tasting cups (set of 4)', 2200),
    ('SCL-005', 'Pocket scale', 1599);

INSERT INTO cart_items (user_id, sku, quantity, added_at) VALUES
    ('6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000001', 'TEA-001', 2, 1767225600000),
    ('6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000001', 'MUG-002', 1, 1767225660000),
    ('6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000002', 'KET-003', 1, 1767225600000),
    ('6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000003', 'CUP-004', 3, 1767225600000);

INSERT INTO posts (author_id, author_name, title, body, created_at) VALUES
    ('6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000003', 'Tara Totp', 'Welcome to the forums',
     'Be kind, stay on topic, and never post your password: nobody here will ask for it.', 1767225600000),
    ('6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000001', 'Alice Shopper', 'Which kettle for green tea?',
     'I keep burning my sencha. Is a gooseneck kettle with a thermometer worth it?', 1767229200000);
