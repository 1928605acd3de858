-- Pending executions of asynchronous hook points (post-user-registration,
-- post-change-password), written in the transaction of the write that
-- triggers them. next_at is both the due time and the lease: a claim moves
-- it past the hook's deadline, so a claim whose process died is due again
-- once the lease ends. attempts fences completions: only the claim that
-- set it may delete or reschedule the row.

CREATE TABLE outbox (
    id         TEXT NOT NULL PRIMARY KEY,
    tenant     TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    payload    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (tenant, next_at);
