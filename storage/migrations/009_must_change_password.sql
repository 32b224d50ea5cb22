-- A password an owner gave someone (adding them, or resetting theirs) is
-- one-time: the person chooses their own at their next login, before
-- anything else. Cleared when they do (or accept an invite).

ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
