-- Who may use the console and the API (DECISIONS §7): console accounts (argon2 password hashes)
-- and API tokens (only their SHA-256 is kept), each with a role: admin, operator or viewer.
CREATE TABLE console_accounts (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    timecreated    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    timecreated INTEGER NOT NULL DEFAULT 0,
    lastused    INTEGER NOT NULL DEFAULT 0
);
