-- plink store, schema 6: a log of what each revision changed.
--
-- Every write that moves the revision adds one row: which parts of serve's
-- snapshot it touched (a bit set: see changelog.go) and, for endpoints,
-- the IDs of the endpoints it changed ('*': it may have changed any). A
-- serve holding the snapshot of revision R reads the rows after R and
-- reloads only those parts (and endpoints); a gap in the rows, or R older
-- than the rows kept, means a full load. The newest 1000 are kept.
CREATE TABLE changes (
    rev       INTEGER PRIMARY KEY,
    sections  INTEGER NOT NULL,
    endpoints TEXT NOT NULL DEFAULT ''
);
