-- +goose Up
CREATE TABLE sites (
    code          TEXT PRIMARY KEY,
    id            INTEGER NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,
    parent_code   TEXT NOT NULL DEFAULT '',
    division_code TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    demo          INTEGER NOT NULL DEFAULT 0,
    updated_us    INTEGER NOT NULL
);

CREATE TABLE venues (
    code          TEXT PRIMARY KEY,
    id            INTEGER NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    level         TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    address       TEXT NOT NULL DEFAULT '',
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    demo          INTEGER NOT NULL DEFAULT 0,
    updated_us    INTEGER NOT NULL
);

CREATE TABLE areas (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    level    TEXT NOT NULL,
    geojson  TEXT NOT NULL
);

CREATE TABLE activities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT NOT NULL,
    content_area  TEXT NOT NULL,
    platform      TEXT NOT NULL,
    start_us      INTEGER NOT NULL,
    end_us        INTEGER NOT NULL,
    place_code    TEXT NOT NULL DEFAULT '',
    place_lon     REAL,
    place_lat     REAL,
    site_code     TEXT NOT NULL DEFAULT '',
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    status        TEXT NOT NULL,
    demo          INTEGER NOT NULL DEFAULT 0,
    created_us    INTEGER NOT NULL
);

CREATE TABLE needs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    category      TEXT NOT NULL,
    description   TEXT NOT NULL,
    place_code    TEXT NOT NULL DEFAULT '',
    place_lon     REAL,
    place_lat     REAL,
    site_code     TEXT NOT NULL DEFAULT '',
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    status        TEXT NOT NULL,
    demo          INTEGER NOT NULL DEFAULT 0,
    created_us    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE needs;
DROP TABLE activities;
DROP TABLE areas;
DROP TABLE venues;
DROP TABLE sites;
