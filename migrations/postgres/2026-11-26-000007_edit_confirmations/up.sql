-- Confirmations of edits that have no over-ride item (IARC's "rare" combinations): a person
-- states, for one tumor and one edit, why the unusual combination is right. Never deleted:
-- withdrawing one stamps it, and a later confirmation is a new row (at most one in force).
CREATE TABLE edit_confirmations (
    id              BIGSERIAL PRIMARY KEY,
    tumor_id        BIGINT NOT NULL REFERENCES tumors (id),
    edit_id         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    confirmed_by    TEXT NOT NULL,
    confirmed_at    TIMESTAMP NOT NULL,
    withdrawn_by    TEXT,
    withdrawn_at    TIMESTAMP
);
CREATE UNIQUE INDEX edit_confirmations_in_force ON edit_confirmations (tumor_id, edit_id)
    WHERE withdrawn_at IS NULL;
