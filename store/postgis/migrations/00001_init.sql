-- civmap on PostgreSQL + PostGIS 3: the initial schema.
-- Points are stored as lon/lat doubles (exact, as written) with a generated geometry(Point,4326)
-- for spatial indexes and a generated EPSG:3857 copy for tile rendering. Activities and needs
-- carry the H3 cell holding them at every resolution the service clusters at (0-11), computed
-- in Go on write; h3_cells holds each used cell's centre and hexagon.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE meta (
    singleton     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version       BIGINT NOT NULL
);
INSERT INTO meta (version) VALUES (1);

CREATE TABLE sites (
    code          TEXT PRIMARY KEY,
    id            BIGINT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,
    parent_code   TEXT NOT NULL DEFAULT '',
    division_code TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    geom3857      geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857)) STORED,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sites_geom_idx ON sites USING gist (geom);
CREATE INDEX sites_geog_idx ON sites USING gist (geography(geom));
CREATE INDEX sites_parent_idx ON sites (parent_code);

CREATE TABLE venues (
    code          TEXT PRIMARY KEY,
    id            BIGINT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    level         TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    address       TEXT NOT NULL DEFAULT '',
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    geom3857      geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857)) STORED,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX venues_geom_idx ON venues USING gist (geom);
CREATE INDEX venues_site_idx ON venues (site_code);

CREATE TABLE areas (
    code          TEXT PRIMARY KEY,
    id            BIGINT NOT NULL,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,
    geom          geometry(Geometry, 4326) NOT NULL,
    geom3857      geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED
);
CREATE INDEX areas_geom_idx ON areas USING gist (geom);

CREATE TABLE h3_cells (
    cell          BIGINT PRIMARY KEY,
    res           SMALLINT NOT NULL,
    center_lon    DOUBLE PRECISION NOT NULL,
    center_lat    DOUBLE PRECISION NOT NULL,
    center        geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(center_lon, center_lat), 4326)) STORED,
    hex           geometry(Polygon, 4326) NOT NULL,
    hex3857       geometry(Polygon, 3857) GENERATED ALWAYS AS (ST_Transform(hex, 3857)) STORED
);
CREATE INDEX h3_cells_center_idx ON h3_cells USING gist (center);
CREATE INDEX h3_cells_hex_idx ON h3_cells USING gist (hex);

CREATE TABLE activities (
    id            BIGSERIAL PRIMARY KEY,
    title         TEXT NOT NULL,
    content_area  TEXT NOT NULL,
    platform      TEXT NOT NULL,
    start_at      TIMESTAMPTZ NOT NULL,
    end_at        TIMESTAMPTZ NOT NULL,
    place_code    TEXT NOT NULL DEFAULT '',
    place_lon     DOUBLE PRECISION,
    place_lat     DOUBLE PRECISION,
    site_code     TEXT NOT NULL DEFAULT '',
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    geom3857      geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857)) STORED,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    status        TEXT NOT NULL,
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    h3_0           BIGINT NOT NULL,
    h3_1           BIGINT NOT NULL,
    h3_2           BIGINT NOT NULL,
    h3_3           BIGINT NOT NULL,
    h3_4           BIGINT NOT NULL,
    h3_5           BIGINT NOT NULL,
    h3_6           BIGINT NOT NULL,
    h3_7           BIGINT NOT NULL,
    h3_8           BIGINT NOT NULL,
    h3_9           BIGINT NOT NULL,
    h3_10          BIGINT NOT NULL,
    h3_11          BIGINT NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX activities_geom_idx ON activities USING gist (geom);
CREATE INDEX activities_site_idx ON activities (site_code);
CREATE INDEX activities_start_idx ON activities (start_at, id);
CREATE INDEX activities_h3_0_idx ON activities (h3_0);
CREATE INDEX activities_h3_1_idx ON activities (h3_1);
CREATE INDEX activities_h3_2_idx ON activities (h3_2);
CREATE INDEX activities_h3_3_idx ON activities (h3_3);
CREATE INDEX activities_h3_4_idx ON activities (h3_4);
CREATE INDEX activities_h3_5_idx ON activities (h3_5);
CREATE INDEX activities_h3_6_idx ON activities (h3_6);
CREATE INDEX activities_h3_7_idx ON activities (h3_7);
CREATE INDEX activities_h3_8_idx ON activities (h3_8);
CREATE INDEX activities_h3_9_idx ON activities (h3_9);
CREATE INDEX activities_h3_10_idx ON activities (h3_10);
CREATE INDEX activities_h3_11_idx ON activities (h3_11);

CREATE TABLE needs (
    id            BIGSERIAL PRIMARY KEY,
    category      TEXT NOT NULL,
    description   TEXT NOT NULL,
    place_code    TEXT NOT NULL DEFAULT '',
    place_lon     DOUBLE PRECISION,
    place_lat     DOUBLE PRECISION,
    site_code     TEXT NOT NULL DEFAULT '',
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    geom3857      geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857)) STORED,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    status        TEXT NOT NULL,
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    h3_0           BIGINT NOT NULL,
    h3_1           BIGINT NOT NULL,
    h3_2           BIGINT NOT NULL,
    h3_3           BIGINT NOT NULL,
    h3_4           BIGINT NOT NULL,
    h3_5           BIGINT NOT NULL,
    h3_6           BIGINT NOT NULL,
    h3_7           BIGINT NOT NULL,
    h3_8           BIGINT NOT NULL,
    h3_9           BIGINT NOT NULL,
    h3_10          BIGINT NOT NULL,
    h3_11          BIGINT NOT NULL
);
CREATE INDEX needs_geom_idx ON needs USING gist (geom);
CREATE INDEX needs_site_idx ON needs (site_code);
CREATE INDEX needs_created_idx ON needs (created_at DESC, id DESC);
CREATE INDEX needs_h3_0_idx ON needs (h3_0);
CREATE INDEX needs_h3_1_idx ON needs (h3_1);
CREATE INDEX needs_h3_2_idx ON needs (h3_2);
CREATE INDEX needs_h3_3_idx ON needs (h3_3);
CREATE INDEX needs_h3_4_idx ON needs (h3_4);
CREATE INDEX needs_h3_5_idx ON needs (h3_5);
CREATE INDEX needs_h3_6_idx ON needs (h3_6);
CREATE INDEX needs_h3_7_idx ON needs (h3_7);
CREATE INDEX needs_h3_8_idx ON needs (h3_8);
CREATE INDEX needs_h3_9_idx ON needs (h3_9);
CREATE INDEX needs_h3_10_idx ON needs (h3_10);
CREATE INDEX needs_h3_11_idx ON needs (h3_11);

-- +goose Down
DROP TABLE needs;
DROP TABLE activities;
DROP TABLE h3_cells;
DROP TABLE areas;
DROP TABLE venues;
DROP TABLE sites;
DROP TABLE meta;
