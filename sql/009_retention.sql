-- Retention (store/retention_store.h): indexes that let a purge find what finished before a
-- cutoff by seeking, not by scanning every row ever kept, and let deleting a fire check its
-- emails without a scan.

-- Finished emails by their last transition. Partial: emails in the queue are not in it.
CREATE INDEX emails_finished ON emails (updated_at)
  WHERE status IN ('sent', 'failed', 'cancelled', 'suppressed');
-- Callbacks are never updated; their job's state is checked per row.
CREATE INDEX callbacks_by_created ON callbacks (created_at);
-- A task is finished when removed, else when it expires.
CREATE INDEX tasks_finished ON tasks (COALESCE(removed_at, expires_at));
CREATE INDEX fires_finished ON fires (created_at) WHERE done = 1;
-- The emails of a fire (newsletter emails only); also what the foreign key check of a fire's
-- delete looks up.
CREATE INDEX email_messages_fire ON email_messages (fire_key) WHERE fire_key IS NOT NULL;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX otps_expiry ON otps (expires_at);
