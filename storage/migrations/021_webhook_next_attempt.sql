-- When a failed delivery attempt is tried again (0: not retried — it was
-- delivered, given up on, or a ping), so the delivery log can say so.
ALTER TABLE webhook_deliveries ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
