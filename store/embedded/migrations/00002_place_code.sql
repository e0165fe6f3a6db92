-- Activities and needs placed at a site or venue code follow it when Put moves that place
-- (store.Sites.Put): index the code they were placed at.

-- +goose Up
CREATE INDEX activities_place_idx ON activities (place_code);
CREATE INDEX needs_place_idx ON needs (place_code);

-- +goose Down
DROP INDEX needs_place_idx;
DROP INDEX activities_place_idx;
